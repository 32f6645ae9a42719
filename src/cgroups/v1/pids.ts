// cgroup v1 pids controller: linux.resources.pids.limit.
import type { ControllerDriver } from "../controller.ts";
import type { CgroupDir, CgroupWrite } from "../fs.ts";
import { counter } from "../stats.ts";
import type { CgroupStats, LinuxPids } from "../types.ts";
import { INT64_MAX, integerInRange } from "../values.ts";

const FIELD = "linux.resources.pids.limit";

/**
 * Plans pids.max, which has the same name and syntax in cgroup v1 and v2.
 * A negative limit means no limit ("max"), and 0 is a real limit, as the
 * OCI runtime spec recommends.
 */
export function planPids(pids: LinuxPids): CgroupWrite[] {
  if (pids.limit === undefined) return [];
  const limit = integerInRange(pids.limit, FIELD, -(INT64_MAX + 1n), INT64_MAX);
  return [{ file: "pids.max", value: limit < 0n ? "max" : limit.toString(), field: FIELD }];
}

export const pidsV1: ControllerDriver = {
  controller: "pids",
  field: "linux.resources.pids",
  isSet: (resources) => resources.pids?.limit !== undefined,
  plan: (resources) => planPids(resources.pids ?? {}),
};

/** Fills pids.current and pids.max; "max" (no limit) reads as 0, as runc reports it. */
export function readPidsStats(dir: CgroupDir, stats: CgroupStats): void {
  stats.pids = { current: counter(dir.readOptional("pids.current")), limit: counter(dir.readOptional("pids.max")) };
}
