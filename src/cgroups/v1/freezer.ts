// cgroup v1 freezer controller: freezer.state, which the kernel moves from
// FREEZING to FROZEN once every task has stopped.
import { CgroupError } from "../errors.ts";
import type { CgroupDir } from "../fs.ts";

/**
 * Writes the state and waits until freezer.state reports it. A task in an
 * uninterruptible sleep can hold the cgroup in FREEZING, so the write is
 * repeated while waiting, and a freeze that times out is undone.
 */
export function setFreezerStateV1(dir: CgroupDir, state: "FROZEN" | "THAWED", timeoutMs = 10_000): void {
  const deadline = Date.now() + timeoutMs;
  let delayMs = 1;
  for (;;) {
    dir.write({ file: "freezer.state", value: state, field: "" });
    const current = dir.read("freezer.state").trim();
    if (current === state) return;
    if (Date.now() > deadline) {
      if (state === "FROZEN") dir.write({ file: "freezer.state", value: "THAWED", field: "" });
      throw new CgroupError(`timed out after ${timeoutMs} ms waiting for ${dir.filePath("freezer.state")} to read ${state} (it reads ${current})`);
    }
    Bun.sleepSync(delayMs);
    delayMs = Math.min(delayMs * 2, 50);
  }
}

export function isFrozenV1(dir: CgroupDir): boolean {
  return dir.read("freezer.state").trim() === "FROZEN";
}
