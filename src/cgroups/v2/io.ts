// cgroup v2 io controller: linux.resources.blockIO through the OCI conversions
// (weights to io.bfq.weight or io.weight, throttles to io.max).
import type { ControllerDriver } from "../controller.ts";
import { CgroupError, CgroupUnsupportedError } from "../errors.ts";
import type { CgroupDir, CgroupWrite } from "../fs.ts";
import type { CgroupStats, LinuxBlockIO } from "../types.ts";
import { blkioWeightToIoWeight, deviceNumber, integerInRange } from "../values.ts";
import { setsBlockIO, THROTTLE_LISTS, throttleEntry } from "../v1/blkio.ts";

const FIELD = "linux.resources.blockIO";

/**
 * Plans the io writes. With the BFQ scheduler (`hasBfq`) io.bfq.weight takes
 * the blkio weight as it is; otherwise io.weight takes it converted from
 * [10, 1000] to [1, 10000]. The throttles of one device go into one io.max
 * line, with "max" for a rate of 0, which means no limit.
 */
export function planIoV2(blockIO: LinuxBlockIO, hasBfq: boolean): CgroupWrite[] {
  if (blockIO.leafWeight !== undefined && blockIO.leafWeight !== 0) {
    throw new CgroupUnsupportedError(`${FIELD}.leafWeight: cgroup v2 has no leaf weights. Remove the field.`);
  }
  const weightFile = hasBfq ? "io.bfq.weight" : "io.weight";
  const convert = (weight: number, field: string): string => {
    if (hasBfq) return integerInRange(weight, field, 1n, 1000n).toString();
    return blkioWeightToIoWeight(integerInRange(weight, field, 10n, 1000n)).toString();
  };

  const writes: CgroupWrite[] = [];
  if (blockIO.weight !== undefined && blockIO.weight !== 0) {
    writes.push({ file: weightFile, value: convert(blockIO.weight, `${FIELD}.weight`), field: `${FIELD}.weight` });
  }
  (blockIO.weightDevice ?? []).forEach((entry, index) => {
    const field = `${FIELD}.weightDevice[${index}]`;
    const device = deviceNumber(entry.major, entry.minor, field);
    if (entry.leafWeight !== undefined) throw new CgroupUnsupportedError(`${field}.leafWeight: cgroup v2 has no leaf weights. Remove the field.`);
    if (entry.weight === undefined) throw new CgroupError(`${field}.weight: missing`);
    writes.push({ file: weightFile, value: `${device} ${convert(entry.weight, `${field}.weight`)}`, field: `${field}.weight` });
  });

  const lines = new Map<string, { keys: string[]; field: string }>();
  for (const { list, v2Key } of THROTTLE_LISTS) {
    (blockIO[list] ?? []).forEach((entry, index) => {
      const field = `${FIELD}.${list}[${index}]`;
      const { device, rate } = throttleEntry(entry, field);
      const line = lines.get(device) ?? { keys: [], field };
      line.keys.push(`${v2Key}=${rate === 0n ? "max" : rate}`);
      lines.set(device, line);
    });
  }
  for (const [device, { keys, field }] of lines) {
    writes.push({ file: "io.max", value: `${device} ${keys.join(" ")}`, field });
  }
  return writes;
}

export const ioV2: ControllerDriver = {
  controller: "io",
  field: FIELD,
  isSet: (resources) => setsBlockIO(resources.blockIO),
  plan: (resources, dir: CgroupDir) => planIoV2(resources.blockIO ?? {}, dir.exists("io.bfq.weight")),
};

/** Fills the I/O statistics from io.stat lines such as "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...". */
export function readIoStatsV2(dir: CgroupDir, stats: CgroupStats): void {
  stats.blkio = { ioServiceBytesRecursive: [], ioServicedRecursive: [] };
  for (const line of (dir.readOptional("io.stat") ?? "").split("\n")) {
    const [device, ...pairs] = line.trim().split(/\s+/);
    const numbers = /^(\d+):(\d+)$/.exec(device ?? "");
    if (numbers === null) continue;
    const values = new Map(pairs.map((pair) => pair.split("=") as [string, string]));
    const entry = (op: string, key: string) => ({ major: Number(numbers[1]), minor: Number(numbers[2]), op, value: Number(values.get(key) ?? 0) });
    stats.blkio.ioServiceBytesRecursive.push(entry("Read", "rbytes"), entry("Write", "wbytes"));
    stats.blkio.ioServicedRecursive.push(entry("Read", "rios"), entry("Write", "wios"));
  }
}
