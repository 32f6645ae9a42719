// cgroup v1 blkio controller: linux.resources.blockIO.
import type { ControllerDriver } from "../controller.ts";
import { CgroupError } from "../errors.ts";
import type { CgroupDir, CgroupWrite } from "../fs.ts";
import { parseBlkioLines } from "../stats.ts";
import type { CgroupStats, LinuxBlockIO, LinuxThrottleDevice } from "../types.ts";
import { deviceNumber, integerInRange, UINT64_MAX } from "../values.ts";

const FIELD = "linux.resources.blockIO";

/** The throttle lists and their blkio.throttle.* files, shared with the io.max keys of cgroup v2. */
export const THROTTLE_LISTS = [
  { list: "throttleReadBpsDevice", v1File: "blkio.throttle.read_bps_device", v2Key: "rbps" },
  { list: "throttleWriteBpsDevice", v1File: "blkio.throttle.write_bps_device", v2Key: "wbps" },
  { list: "throttleReadIOPSDevice", v1File: "blkio.throttle.read_iops_device", v2Key: "riops" },
  { list: "throttleWriteIOPSDevice", v1File: "blkio.throttle.write_iops_device", v2Key: "wiops" },
] as const;

/** Checks a throttle entry and returns its "major:minor" and rate. */
export function throttleEntry(entry: LinuxThrottleDevice, field: string): { device: string; rate: bigint } {
  return { device: deviceNumber(entry.major, entry.minor, field), rate: integerInRange(entry.rate, `${field}.rate`, 0n, UINT64_MAX) };
}

function weight(value: number, field: string): bigint {
  return integerInRange(value, field, 0n, 65535n);
}

/**
 * Plans the blkio writes. `hasBfq` selects the BFQ scheduler's files
 * (blkio.bfq.weight), which replaced CFQ's blkio.weight; leaf weights
 * existed only in CFQ.
 */
export function planBlkioV1(blockIO: LinuxBlockIO, hasBfq: boolean): CgroupWrite[] {
  const writes: CgroupWrite[] = [];
  const weightFile = hasBfq ? "blkio.bfq.weight" : "blkio.weight";

  if (blockIO.weight !== undefined && blockIO.weight !== 0) {
    writes.push({ file: weightFile, value: weight(blockIO.weight, `${FIELD}.weight`).toString(), field: `${FIELD}.weight` });
  }
  if (blockIO.leafWeight !== undefined && blockIO.leafWeight !== 0) {
    writes.push({ file: "blkio.leaf_weight", value: weight(blockIO.leafWeight, `${FIELD}.leafWeight`).toString(), field: `${FIELD}.leafWeight` });
  }
  (blockIO.weightDevice ?? []).forEach((entry, index) => {
    const field = `${FIELD}.weightDevice[${index}]`;
    const device = deviceNumber(entry.major, entry.minor, field);
    if (entry.weight === undefined && entry.leafWeight === undefined) throw new CgroupError(`${field}: set weight, leafWeight or both`);
    if (entry.weight !== undefined) {
      writes.push({ file: `${weightFile}_device`, value: `${device} ${weight(entry.weight, `${field}.weight`)}`, field: `${field}.weight` });
    }
    if (entry.leafWeight !== undefined) {
      writes.push({ file: "blkio.leaf_weight_device", value: `${device} ${weight(entry.leafWeight, `${field}.leafWeight`)}`, field: `${field}.leafWeight` });
    }
  });
  for (const { list, v1File } of THROTTLE_LISTS) {
    (blockIO[list] ?? []).forEach((entry, index) => {
      const field = `${FIELD}.${list}[${index}]`;
      const { device, rate } = throttleEntry(entry, field);
      writes.push({ file: v1File, value: `${device} ${rate}`, field });
    });
  }
  return writes;
}

export function setsBlockIO(blockIO: LinuxBlockIO | undefined): boolean {
  if (blockIO === undefined) return false;
  const lists = [blockIO.weightDevice, ...THROTTLE_LISTS.map(({ list }) => blockIO[list])];
  return blockIO.weight !== undefined || blockIO.leafWeight !== undefined || lists.some((list) => (list?.length ?? 0) > 0);
}

export const blkioV1: ControllerDriver = {
  controller: "blkio",
  field: FIELD,
  isSet: (resources) => setsBlockIO(resources.blockIO),
  plan: (resources, dir: CgroupDir) => planBlkioV1(resources.blockIO ?? {}, dir.exists("blkio.bfq.weight")),
};

/**
 * Fills the I/O statistics from the BFQ scheduler's counters when the device
 * uses BFQ, and from the throttling counters otherwise.
 */
export function readBlkioStatsV1(dir: CgroupDir, stats: CgroupStats): void {
  const bfqBytes = parseBlkioLines(dir.readOptional("blkio.bfq.io_service_bytes_recursive"));
  const useBfq = bfqBytes.length > 0;
  stats.blkio.ioServiceBytesRecursive = useBfq ? bfqBytes : parseBlkioLines(dir.readOptional("blkio.throttle.io_service_bytes_recursive"));
  stats.blkio.ioServicedRecursive = parseBlkioLines(
    dir.readOptional(useBfq ? "blkio.bfq.io_serviced_recursive" : "blkio.throttle.io_serviced_recursive"),
  );
}
