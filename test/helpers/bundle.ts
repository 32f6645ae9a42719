// Test bundles: a busybox rootfs built once from Debian's busybox-static, and
// per-test bundle directories with a config.json made by `ns spec`.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
/** The ns executable under test: $NS_BIN, or the one `npm run build` writes. */
export const NS = process.env.NS_BIN ?? join(ROOT, "dist/ns");
const FIXTURES = join(ROOT, "test/.fixtures");
const BUSYBOX_ROOTFS = join(FIXTURES, "busybox-rootfs");

/** The path of busybox-static's binary, or undefined when it is not installed. */
export function busyboxPath(): string | undefined {
  for (const p of ["/bin/busybox", "/usr/bin/busybox"]) {
    if (existsSync(p)) {
      const out = spawnSync("file", ["-L", p], { encoding: "utf8" });
      if (out.status !== 0 || out.stdout.includes("statically linked") || out.stdout.includes("static-pie")) return p;
    }
  }
  return undefined;
}

/** Builds (once) a rootfs with busybox and an applet link for each of its commands. */
export function busyboxRootfs(): string {
  if (existsSync(join(BUSYBOX_ROOTFS, "bin/sh"))) return BUSYBOX_ROOTFS;
  const busybox = busyboxPath();
  if (!busybox) throw new Error("busybox-static is not installed (apt-get install busybox-static)");
  const tmp = `${BUSYBOX_ROOTFS}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "root", "home/user", "var", "run"]) {
    mkdirSync(join(tmp, d), { recursive: true });
  }
  cpSync(busybox, join(tmp, "bin/busybox"));
  const applets = execFileSync(busybox, ["--list-full"], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const applet of applets) {
    const link = join(tmp, applet);
    if (!existsSync(link)) symlinkSync("/bin/busybox", link);
  }
  writeFileSync(join(tmp, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  writeFileSync(join(tmp, "etc/group"), "root:x:0:\nwheel:x:10:user\nuser:x:1000:\nnogroup:x:65534:\n");
  execFileSync("chmod", ["1777", join(tmp, "tmp")]);
  mkdirSync(FIXTURES, { recursive: true });
  execFileSync("mv", [tmp, BUSYBOX_ROOTFS]);
  return BUSYBOX_ROOTFS;
}

export interface Bundle {
  dir: string;
  rootfs: string;
  config: any;
  /** Writes config back to config.json. */
  save(): void;
  remove(): void;
}

/** A fresh bundle: a copy of the busybox rootfs and the config of `ns spec`, changed by edit. */
export function makeBundle(edit?: (config: any) => void): Bundle {
  const dir = mkdtempSync(join(tmpdir(), "ns-test-bundle-"));
  const rootfs = join(dir, "rootfs");
  execFileSync("cp", ["-a", busyboxRootfs(), rootfs]);
  execFileSync(NS, ["spec", "--bundle", dir]);
  const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  config.process.terminal = false;
  const bundle: Bundle = {
    dir,
    rootfs,
    config,
    save() {
      writeFileSync(join(dir, "config.json"), JSON.stringify(bundle.config, null, 2));
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  edit?.(config);
  bundle.save();
  return bundle;
}
