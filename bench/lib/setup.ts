// What the benchmark needs before it measures: Debian's runc, bubblewrap,
// hyperfine and busybox-static, an ns binary of its own, and bundles that
// ns and runc both run from the same config.json.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { busyboxPath, busyboxRootfs } from "../../test/helpers/bundle.ts";
import { available, run } from "./process.ts";

export const REPO = resolve(import.meta.dir, "../..");

/** Installs the Debian packages that are missing; needs root and apt-get. */
export function installPackages(): void {
  const missing: string[] = [];
  if (!available("runc")) missing.push("runc");
  if (!available("bwrap")) missing.push("bubblewrap");
  if (!available("hyperfine")) missing.push("hyperfine");
  if (!available("file")) missing.push("file");
  if (!available("busybox") || busyboxPath() === undefined) missing.push("busybox-static");
  if (missing.length === 0) return;
  if (!available("apt-get")) throw new Error(`missing ${missing.join(", ")}, and apt-get is not available to install them`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  console.error(`bench: installing ${missing.join(" ")}`);
  run("apt-get", ["update", "-qq"], { timeoutMs: 300_000, purpose: "apt-get update", env });
  run("apt-get", ["install", "-y", "-qq", ...missing], { timeoutMs: 600_000, purpose: "apt-get install", env });
}

/** Builds ns from this checkout into outfile with the bun that runs the benchmark. */
export function buildNs(outfile: string): void {
  run(process.execPath, ["build.ts"], { cwd: REPO, env: { ...process.env, NS_OUT: outfile }, timeoutMs: 300_000, purpose: "build ns" });
}

export interface Bundles {
  rootfs: string;
  /** Bundle whose process is /bin/true. */
  trueBundle: string;
  /** Bundle whose process is `sleep 1000`, for exec and memory. */
  sleepBundle: string;
}

/**
 * Copies the busybox rootfs into dir and writes two bundles that share it.
 * The config is `ns spec`'s, which matches `runc spec` but for ociVersion
 * and hostname: the namespaces pid, network, ipc, uts and mount, a read-only
 * root, no terminal. root.path is absolute so both bundles use one rootfs.
 */
export function makeBundles(ns: string, dir: string): Bundles {
  const rootfs = join(dir, "rootfs");
  run("cp", ["-a", busyboxRootfs(), rootfs], { timeoutMs: 60_000, purpose: "copy the busybox rootfs" });
  const bundle = (name: string, args: string[]): string => {
    const path = join(dir, name);
    mkdirSync(path);
    run(ns, ["spec", "--bundle", path], { timeoutMs: 10_000, purpose: "ns spec" });
    const file = join(path, "config.json");
    const config = JSON.parse(readFileSync(file, "utf8"));
    config.process.terminal = false;
    config.process.args = args;
    config.root.path = rootfs;
    writeFileSync(file, JSON.stringify(config, null, 2));
    return path;
  };
  return { rootfs, trueBundle: bundle("true", ["/bin/true"]), sleepBundle: bundle("sleep", ["sleep", "1000"]) };
}
