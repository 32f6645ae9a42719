// Running the ns executable from tests, and checking that a test left
// nothing behind: state directories, cgroups, mounts, processes.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NS } from "./bundle.ts";

export interface NsResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A state root of the test's own, so tests never see each other's containers. */
export function makeStateRoot(): string {
  return mkdtempSync(join(tmpdir(), "ns-test-root-"));
}

/** Runs `ns --root ROOT ARGS...` and waits for it (60 s at most). */
export function ns(root: string, args: string[], options: { cwd?: string; input?: string; env?: Record<string, string> } = {}): NsResult {
  const r: SpawnSyncReturns<string> = spawnSync(NS, ["--root", root, ...args], {
    cwd: options.cwd,
    input: options.input,
    env: options.env ?? process.env,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status ?? 128 + (r.signal ? 9 : 0), stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

const CGROUP_ROOT = "/sys/fs/cgroup";

/** Cgroup directories named like the container under each hierarchy's /ns parent. */
export function cgroupLeftovers(id: string): string[] {
  const found: string[] = [];
  if (!existsSync(CGROUP_ROOT)) return found;
  for (const hierarchy of readdirSync(CGROUP_ROOT)) {
    const dir = join(CGROUP_ROOT, hierarchy, "ns", id);
    if (existsSync(dir)) found.push(dir);
  }
  return found;
}

/** Host mounts whose mount point or source mentions text (a bundle path, a state root). */
export function mountLeftovers(text: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((line) => line.includes(text));
}

/** Processes whose command line mentions text. */
export function processLeftovers(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmdline.includes(text)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** Everything a container with this id may have left: [] when clean. */
export function leftovers(root: string, id: string): string[] {
  const found: string[] = [];
  if (existsSync(join(root, id))) found.push(`state dir ${join(root, id)}`);
  found.push(...cgroupLeftovers(id).map((d) => `cgroup ${d}`));
  found.push(...mountLeftovers(root).map((m) => `mount ${m}`));
  return found;
}

export function removeStateRoot(root: string): void {
  rmSync(root, { recursive: true, force: true });
}
