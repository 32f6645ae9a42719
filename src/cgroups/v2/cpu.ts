// cgroup v2 cpu controller: cpu.weight from shares, cpu.max from quota and
// period, cpu.max.burst and cpu.idle.
import { type ControllerDriver } from "../controller.ts";
import { CgroupError, CgroupUnsupportedError } from "../errors.ts";
import type { CgroupDir, CgroupWrite } from "../fs.ts";
import type { CgroupStats, LinuxCPU } from "../types.ts";
import { burstFirst, integerInRange, isSetNonZero, parseReadLimit, sharesToWeight, UINT64_MAX } from "../values.ts";
import { runtime, setsCpuController } from "../v1/cpu.ts";

const FIELD = "linux.resources.cpu";

/** The current cpu.max: quota (-1 for "max") and period, in microseconds. */
export interface CpuMax {
  quota: bigint;
  period: bigint;
}

export function parseCpuMax(text: string): CpuMax {
  const [quota, period] = text.trim().split(/\s+/);
  return { quota: parseReadLimit(quota ?? "max"), period: BigInt(period ?? "100000") };
}

/** Plans the cpu writes for cgroup v2; `current` reads cpu.max when only one of quota and period is given. */
export function planCpuV2(cpu: LinuxCPU, current: () => CpuMax): CgroupWrite[] {
  if (cpu.realtimeRuntime !== undefined || isSetNonZero(cpu.realtimePeriod)) {
    throw new CgroupUnsupportedError(`${FIELD}.realtimeRuntime: cgroup v2 has no real-time CPU bandwidth control. Remove realtimeRuntime and realtimePeriod.`);
  }
  const writes: CgroupWrite[] = [];

  if (isSetNonZero(cpu.shares)) {
    const shares = integerInRange(cpu.shares, `${FIELD}.shares`, 2n, 262144n);
    writes.push({ file: "cpu.weight", value: sharesToWeight(shares).toString(), field: `${FIELD}.shares` });
  }

  const quota = isSetNonZero(cpu.quota) ? runtime(cpu.quota, `${FIELD}.quota`) : undefined;
  const period = isSetNonZero(cpu.period) ? integerInRange(cpu.period, `${FIELD}.period`, 1n, UINT64_MAX) : undefined;
  const burst = cpu.burst === undefined ? undefined : integerInRange(cpu.burst, `${FIELD}.burst`, 0n, UINT64_MAX);
  if (burst !== undefined && quota !== undefined && quota !== -1n && burst > quota) {
    throw new CgroupError(`${FIELD}.burst: the burst ${burst} is larger than the quota ${quota}`);
  }

  let maxWrite: CgroupWrite | undefined;
  let currentMax: CpuMax | undefined;
  if (quota !== undefined || period !== undefined) {
    // cpu.max takes "$QUOTA $PERIOD" and keeps the period when only a quota
    // is written, but a period needs a quota beside it, so a lone period
    // keeps the current quota.
    let value: string;
    if (quota === undefined) {
      currentMax = current();
      value = `${currentMax.quota === -1n ? "max" : currentMax.quota} ${period}`;
    } else {
      value = quota === -1n ? "max" : quota.toString();
      if (period !== undefined) value += ` ${period}`;
    }
    maxWrite = { file: "cpu.max", value, field: quota === undefined ? `${FIELD}.period` : `${FIELD}.quota` };
  }

  if (burst === undefined) {
    if (maxWrite !== undefined) writes.push(maxWrite);
  } else {
    const burstWrite = { file: "cpu.max.burst", value: burst.toString(), field: `${FIELD}.burst` };
    if (maxWrite === undefined) writes.push(burstWrite);
    else if (burstFirst(burst, (currentMax ?? current()).quota)) writes.push(burstWrite, maxWrite);
    else writes.push(maxWrite, burstWrite);
  }

  if (cpu.idle !== undefined) {
    writes.push({ file: "cpu.idle", value: integerInRange(cpu.idle, `${FIELD}.idle`, 0n, 1n).toString(), field: `${FIELD}.idle` });
  }
  return writes;
}

export const cpuV2: ControllerDriver = {
  controller: "cpu",
  field: FIELD,
  isSet: (resources) => setsCpuController(resources.cpu),
  plan: (resources, dir) => planCpuV2(resources.cpu ?? {}, () => parseCpuMax(dir.read("cpu.max"))),
};

/**
 * Fills CPU usage and throttling from cpu.stat, which counts microseconds.
 * The usage counters exist without the cpu controller; the throttling ones
 * need it.
 */
export function readCpuStatsV2(dir: CgroupDir, stats: CgroupStats): void {
  const cpuStat = dir.readKeyValues("cpu.stat");
  const microseconds = (key: string) => (cpuStat.get(key) ?? 0) * 1000;
  stats.cpu.usage.total = microseconds("usage_usec");
  stats.cpu.usage.user = microseconds("user_usec");
  stats.cpu.usage.kernel = microseconds("system_usec");
  stats.cpu.throttling = {
    periods: cpuStat.get("nr_periods") ?? 0,
    throttledPeriods: cpuStat.get("nr_throttled") ?? 0,
    throttledTime: microseconds("throttled_usec"),
  };
}
