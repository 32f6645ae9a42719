// cgroup v2 freezer: cgroup.freeze requests the state, and the "frozen" key
// of cgroup.events reports when every task has stopped.
import { CgroupError } from "../errors.ts";
import type { CgroupDir } from "../fs.ts";

/** Writes cgroup.freeze and waits until cgroup.events reports the new state. */
export function setFrozenV2(dir: CgroupDir, frozen: boolean, timeoutMs = 10_000): void {
  dir.write({ file: "cgroup.freeze", value: frozen ? "1" : "0", field: "" });
  const expected = frozen ? 1 : 0;
  const deadline = Date.now() + timeoutMs;
  let delayMs = 1;
  while (dir.readKeyValues("cgroup.events").get("frozen") !== expected) {
    if (Date.now() > deadline) {
      if (frozen) dir.write({ file: "cgroup.freeze", value: "0", field: "" });
      throw new CgroupError(`timed out after ${timeoutMs} ms waiting for ${dir.filePath("cgroup.events")} to report frozen ${expected}`);
    }
    Bun.sleepSync(delayMs);
    delayMs = Math.min(delayMs * 2, 50);
  }
}

export function isFrozenV2(dir: CgroupDir): boolean {
  return dir.readKeyValues("cgroup.events").get("frozen") === 1;
}

/** Returns true when the cgroup or a descendant has a live process ("populated 1" in cgroup.events). */
export function isPopulatedV2(dir: CgroupDir): boolean {
  return dir.readKeyValues("cgroup.events").get("populated") === 1;
}
