// cgroup v1 hugetlb controller: linux.resources.hugepageLimits.
import type { ControllerDriver } from "../controller.ts";
import { CgroupError } from "../errors.ts";
import type { CgroupDir, CgroupWrite } from "../fs.ts";
import { counter } from "../stats.ts";
import type { CgroupStats, LinuxHugepageLimit } from "../types.ts";
import { byteLimit } from "../values.ts";

const FIELD = "linux.resources.hugepageLimits";

/**
 * Returns the page sizes that a cgroup directory offers, read from its file
 * names. `pattern` has one group that captures the size, as in
 * /^hugetlb\.(.+)\.limit_in_bytes$/.
 */
export function hugePageSizes(fileNames: readonly string[], pattern: RegExp): string[] {
  return fileNames.flatMap((name) => {
    const size = pattern.exec(name)?.[1];
    return size === undefined || size.includes(".") ? [] : [size];
  });
}

/**
 * Plans one limit file per entry, plus the reservation limit (".rsvd.") when
 * the kernel has one, so that mmap fails instead of a later page fault
 * raising SIGBUS. `files` names the limit file and the reservation file of a
 * page size for the cgroup version at hand.
 */
export function planHugetlb(
  limits: readonly LinuxHugepageLimit[],
  fileNames: readonly string[],
  files: { limit(size: string): string; reservation(size: string): string; pattern: RegExp; format(limit: bigint): string },
): CgroupWrite[] {
  const available = new Set(fileNames);
  const sizes = hugePageSizes(fileNames, files.pattern);
  return limits.flatMap((entry, index) => {
    const field = `${FIELD}[${index}]`;
    if (!/^\d+[KMG]B$/.test(entry.pageSize)) {
      throw new CgroupError(`${field}.pageSize: ${JSON.stringify(entry.pageSize)} is not a page size such as "2MB" or "1GB"`);
    }
    const limitFile = files.limit(entry.pageSize);
    if (!available.has(limitFile)) {
      const offered = sizes.length === 0 ? "none" : sizes.join(", ");
      throw new CgroupError(`${field}.pageSize: this host has no ${entry.pageSize} huge pages (${limitFile} not found, sizes offered: ${offered})`);
    }
    const value = files.format(byteLimit(entry.limit, `${field}.limit`));
    const writes = [{ file: limitFile, value, field: `${field}.limit` }];
    const reservationFile = files.reservation(entry.pageSize);
    if (available.has(reservationFile)) writes.push({ file: reservationFile, value, field: `${field}.limit` });
    return writes;
  });
}

export const hugetlbV1: ControllerDriver = {
  controller: "hugetlb",
  field: FIELD,
  isSet: (resources) => (resources.hugepageLimits?.length ?? 0) > 0,
  plan: (resources, dir: CgroupDir) =>
    planHugetlb(resources.hugepageLimits ?? [], dir.list(), {
      limit: (size) => `hugetlb.${size}.limit_in_bytes`,
      reservation: (size) => `hugetlb.${size}.rsvd.limit_in_bytes`,
      pattern: /^hugetlb\.(.+)\.limit_in_bytes$/,
      format: (limit) => limit.toString(),
    }),
};

/** Fills usage, maximum usage and failcnt per page size. */
export function readHugetlbStatsV1(dir: CgroupDir, stats: CgroupStats): void {
  for (const size of hugePageSizes(dir.list(), /^hugetlb\.(.+)\.limit_in_bytes$/)) {
    stats.hugetlb[size] = {
      usage: counter(dir.readOptional(`hugetlb.${size}.usage_in_bytes`)),
      max: counter(dir.readOptional(`hugetlb.${size}.max_usage_in_bytes`)),
      failcnt: counter(dir.readOptional(`hugetlb.${size}.failcnt`)),
    };
  }
}
