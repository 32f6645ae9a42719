// Removing everything the benchmark made: containers in its own state roots,
// cgroups named with its id prefix, mounts under its work directory. Every
// container id starts with a prefix that holds the benchmark's pid, so these
// checks can never match another user's containers.
import { readdirSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { run } from "./process.ts";

const CGROUP_ROOT = "/sys/fs/cgroup";
/** ns nests containers at HIERARCHY/ns/ID, runc at HIERARCHY/ID or below the caller's cgroup; deeper levels are not searched. */
const CGROUP_SEARCH_DEPTH = 5;

export interface Runtime {
  name: string;
  /** The runtime's command with its state root: [binary, "--root", DIR]. */
  base: string[];
}

/** Force-deletes every container in the runtime's state root; returns the ids it found. */
export function deleteContainers(runtime: Runtime): string[] {
  const list = run(runtime.base[0]!, [...runtime.base.slice(1), "list", "-q"], { timeoutMs: 10_000, purpose: `${runtime.name} list`, allowFailure: true });
  const ids = list.code === 0 ? list.stdout.split("\n").map((l) => l.trim()).filter(Boolean) : [];
  for (const id of ids) {
    run(runtime.base[0]!, [...runtime.base.slice(1), "delete", "-f", id], { timeoutMs: 20_000, purpose: `${runtime.name} delete ${id}`, allowFailure: true });
  }
  return ids;
}

/** Cgroup directories whose name starts with prefix, deepest first. */
export function cgroupsNamed(prefix: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > CGROUP_SEARCH_DEPTH) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      walk(path, depth + 1);
      if (entry.name.startsWith(prefix)) found.push(path);
    }
  };
  walk(CGROUP_ROOT, 0);
  return found.sort((a, b) => b.length - a.length);
}

/** Lines of our mountinfo that mention text, such as the work directory. */
export function mountsMentioning(text: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((line) => line.includes(text));
}

/**
 * Deletes the containers left in the runtimes' state roots, then removes the
 * cgroups named with prefix. Returns a line for each thing that was left,
 * so that the caller can report that the runtime under test leaked it.
 */
export function cleanUp(runtimes: readonly Runtime[], prefix: string, workDir: string): string[] {
  const leaks: string[] = [];
  for (const runtime of runtimes) {
    for (const id of deleteContainers(runtime)) leaks.push(`${runtime.name} container ${id}`);
  }
  for (const dir of cgroupsNamed(prefix)) {
    leaks.push(`cgroup ${dir}`);
    try {
      rmdirSync(dir);
    } catch (e) {
      leaks.push(`cgroup ${dir} could not be removed: ${(e as Error).message}`);
    }
  }
  for (const line of mountsMentioning(workDir)) leaks.push(`mount ${line}`);
  return leaks;
}
