// cgroup v2 hugetlb controller: hugetlb.<size>.max from linux.resources.hugepageLimits.
import type { ControllerDriver } from "../controller.ts";
import type { CgroupDir } from "../fs.ts";
import { counter } from "../stats.ts";
import type { CgroupStats } from "../types.ts";
import { v2Limit } from "../values.ts";
import { hugePageSizes, planHugetlb } from "../v1/hugetlb.ts";

const SIZE_PATTERN = /^hugetlb\.(.+)\.max$/;

export const hugetlbV2: ControllerDriver = {
  controller: "hugetlb",
  field: "linux.resources.hugepageLimits",
  isSet: (resources) => (resources.hugepageLimits?.length ?? 0) > 0,
  plan: (resources, dir: CgroupDir) =>
    planHugetlb(resources.hugepageLimits ?? [], dir.list(), {
      limit: (size) => `hugetlb.${size}.max`,
      reservation: (size) => `hugetlb.${size}.rsvd.max`,
      pattern: SIZE_PATTERN,
      format: v2Limit,
    }),
};

/** Fills usage and failcnt per page size; cgroup v2 keeps no maximum usage, so max is 0. */
export function readHugetlbStatsV2(dir: CgroupDir, stats: CgroupStats): void {
  for (const size of hugePageSizes(dir.list(), SIZE_PATTERN)) {
    stats.hugetlb[size] = {
      usage: counter(dir.readOptional(`hugetlb.${size}.current`)),
      max: 0,
      failcnt: dir.readKeyValues(`hugetlb.${size}.events`).get("max") ?? 0,
    };
  }
}
