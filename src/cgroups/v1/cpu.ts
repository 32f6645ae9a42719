// cgroup v1 cpu controller: shares, CFS quota, period and burst, real-time
// runtime and period, and idle from linux.resources.cpu.
import { type ControllerDriver } from "../controller.ts";
import { CgroupError } from "../errors.ts";
import type { CgroupDir, CgroupWrite } from "../fs.ts";
import type { CgroupStats, LinuxCPU } from "../types.ts";
import { burstFirst, integerInRange, INT64_MAX, isSetNonZero, parseReadLimit, periodFirst, toBigInt, UINT64_MAX } from "../values.ts";

const FIELD = "linux.resources.cpu";

/** The current CFS and real-time bandwidth, with -1 for an unlimited runtime. */
export interface CpuV1State {
  quota: bigint;
  period: bigint;
  burst: bigint;
  rtRuntime: bigint;
  rtPeriod: bigint;
}

/** Checks a quota or real-time runtime and returns it, with any negative value as -1 (unlimited), which is how the kernel reads it. */
export function runtime(value: NonNullable<LinuxCPU["quota"]>, field: string): bigint {
  const n = toBigInt(value, field);
  if (n > INT64_MAX) throw new CgroupError(`${field}: ${n} is larger than the int64 maximum`);
  return n < 0n ? -1n : n;
}

/** Orders a runtime and a period write so that every intermediate state passes the kernel's checks. */
function bandwidthWrites(
  runtimeWrite: CgroupWrite | undefined,
  periodWrite: CgroupWrite | undefined,
  current: { runtime: bigint; period: bigint },
  next: { runtime: bigint | undefined; period: bigint | undefined },
): CgroupWrite[] {
  if (runtimeWrite === undefined || periodWrite === undefined) {
    return [periodWrite, runtimeWrite].filter((write) => write !== undefined);
  }
  const target = { runtime: next.runtime ?? current.runtime, period: next.period ?? current.period };
  return periodFirst(current, target) ? [periodWrite, runtimeWrite] : [runtimeWrite, periodWrite];
}

/** Plans the cpu controller writes; cpus and mems belong to the cpuset controller. */
export function planCpuV1(cpu: LinuxCPU, state: CpuV1State): CgroupWrite[] {
  const writes: CgroupWrite[] = [];

  if (isSetNonZero(cpu.shares)) {
    const shares = integerInRange(cpu.shares, `${FIELD}.shares`, 0n, UINT64_MAX);
    writes.push({ file: "cpu.shares", value: shares.toString(), field: `${FIELD}.shares` });
  }

  const quota = isSetNonZero(cpu.quota) ? runtime(cpu.quota, `${FIELD}.quota`) : undefined;
  const period = isSetNonZero(cpu.period) ? integerInRange(cpu.period, `${FIELD}.period`, 1n, UINT64_MAX) : undefined;
  const burst = cpu.burst === undefined ? undefined : integerInRange(cpu.burst, `${FIELD}.burst`, 0n, UINT64_MAX);
  if (burst !== undefined && quota !== undefined && quota !== -1n && burst > quota) {
    throw new CgroupError(`${FIELD}.burst: the burst ${burst} is larger than the quota ${quota}`);
  }

  const quotaWrite = quota === undefined ? undefined : { file: "cpu.cfs_quota_us", value: quota.toString(), field: `${FIELD}.quota` };
  const periodWrite = period === undefined ? undefined : { file: "cpu.cfs_period_us", value: period.toString(), field: `${FIELD}.period` };
  const cfsWrites = bandwidthWrites(quotaWrite, periodWrite, { runtime: state.quota, period: state.period }, { runtime: quota, period });
  if (burst === undefined) {
    writes.push(...cfsWrites);
  } else {
    const burstWrite = { file: "cpu.cfs_burst_us", value: burst.toString(), field: `${FIELD}.burst` };
    if (burstFirst(burst, state.quota)) writes.push(burstWrite, ...cfsWrites);
    else writes.push(...cfsWrites, burstWrite);
  }

  const rtRuntime = cpu.realtimeRuntime === undefined ? undefined : runtime(cpu.realtimeRuntime, `${FIELD}.realtimeRuntime`);
  const rtPeriod = isSetNonZero(cpu.realtimePeriod) ? integerInRange(cpu.realtimePeriod, `${FIELD}.realtimePeriod`, 1n, UINT64_MAX) : undefined;
  const rtRuntimeWrite = rtRuntime === undefined ? undefined : { file: "cpu.rt_runtime_us", value: rtRuntime.toString(), field: `${FIELD}.realtimeRuntime` };
  const rtPeriodWrite = rtPeriod === undefined ? undefined : { file: "cpu.rt_period_us", value: rtPeriod.toString(), field: `${FIELD}.realtimePeriod` };
  writes.push(...bandwidthWrites(rtRuntimeWrite, rtPeriodWrite, { runtime: state.rtRuntime, period: state.rtPeriod }, { runtime: rtRuntime, period: rtPeriod }));

  if (cpu.idle !== undefined) {
    const idle = integerInRange(cpu.idle, `${FIELD}.idle`, 0n, 1n);
    writes.push({ file: "cpu.idle", value: idle.toString(), field: `${FIELD}.idle` });
  }
  return writes;
}

function readNumber(dir: CgroupDir, file: string, fallback: bigint): bigint {
  const text = dir.readOptional(file);
  return text === undefined ? fallback : parseReadLimit(text);
}

function readState(dir: CgroupDir): CpuV1State {
  return {
    quota: readNumber(dir, "cpu.cfs_quota_us", -1n),
    period: readNumber(dir, "cpu.cfs_period_us", 100000n),
    burst: readNumber(dir, "cpu.cfs_burst_us", 0n),
    rtRuntime: readNumber(dir, "cpu.rt_runtime_us", 0n),
    rtPeriod: readNumber(dir, "cpu.rt_period_us", 1000000n),
  };
}

/** Returns true when linux.resources.cpu sets a field of the cpu controller, that is, anything but cpus and mems. */
export function setsCpuController(cpu: LinuxCPU | undefined): boolean {
  if (cpu === undefined) return false;
  return [cpu.shares, cpu.quota, cpu.period, cpu.burst, cpu.realtimeRuntime, cpu.realtimePeriod, cpu.idle].some((value) => value !== undefined);
}

export const cpuV1: ControllerDriver = {
  controller: "cpu",
  field: FIELD,
  isSet: (resources) => setsCpuController(resources.cpu),
  plan: (resources, dir) => planCpuV1(resources.cpu ?? {}, readState(dir)),
};

/** Fills the throttling statistics from cpu.stat. */
export function readCpuStatsV1(dir: CgroupDir, stats: CgroupStats): void {
  const cpuStat = dir.readKeyValues("cpu.stat");
  stats.cpu.throttling = {
    periods: cpuStat.get("nr_periods") ?? 0,
    throttledPeriods: cpuStat.get("nr_throttled") ?? 0,
    throttledTime: cpuStat.get("throttled_time") ?? 0,
  };
}
