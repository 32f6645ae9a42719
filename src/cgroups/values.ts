// Checks and conversions of OCI resource values: integers that may arrive as
// number or bigint, the "unlimited" value -1, and the cgroup v1 to v2
// conversions of the OCI runtime spec and crun's documentation.
import { CgroupError } from "./errors.ts";
import type { Int64 } from "./types.ts";

/** Converts an OCI integer to bigint, or raises an error naming the field. */
export function toBigInt(value: Int64, field: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  throw new CgroupError(`${field}: expected an integer, got ${String(value)}`);
}

/** Checks that an integer lies in [min, max] and returns it as bigint. */
export function integerInRange(value: Int64, field: string, min: bigint, max: bigint): bigint {
  const n = toBigInt(value, field);
  if (n < min || n > max) throw new CgroupError(`${field}: ${n} is out of range, expected ${min} to ${max}`);
  return n;
}

/** True when an optional OCI integer is present and not the Go zero value that means "unset". */
export function isSetNonZero(value: Int64 | undefined): value is Int64 {
  return value !== undefined && value !== 0 && value !== 0n;
}

export const UINT32_MAX = 0xffffffffn;
export const INT64_MAX = 0x7fffffffffffffffn;
export const UINT64_MAX = 0xffffffffffffffffn;

/**
 * Checks a byte limit that may be -1 (unlimited) and returns it; any other
 * negative value is an error.
 */
export function byteLimit(value: Int64, field: string): bigint {
  const n = toBigInt(value, field);
  if (n < -1n) throw new CgroupError(`${field}: ${n} is not a valid limit, expected a number of bytes or -1 for unlimited`);
  if (n > INT64_MAX) throw new CgroupError(`${field}: ${n} is larger than the int64 maximum`);
  return n;
}

/** Returns the cgroup v1 spelling of a limit: the number, with -1 for unlimited. */
export function v1Limit(limit: bigint): string {
  return limit.toString();
}

/** Returns the cgroup v2 spelling of a limit: the number, or "max" for -1. */
export function v2Limit(limit: bigint): string {
  return limit === -1n ? "max" : limit.toString();
}

/**
 * Converts cgroup v1 cpu.shares [2, 262144] to cgroup v2 cpu.weight [1, 10000]
 * linearly, as runc does: 1 + ((shares - 2) * 9999) / 262142.
 */
export function sharesToWeight(shares: bigint): bigint {
  return 1n + ((shares - 2n) * 9999n) / 262142n;
}

/** Converts a cgroup v1 blkio weight [10, 1000] to a cgroup v2 io.weight [1, 10000]: 1 + (w - 10) * 9999 / 990. */
export function blkioWeightToIoWeight(weight: bigint): bigint {
  return 1n + ((weight - 10n) * 9999n) / 990n;
}

/**
 * Converts the OCI memory+swap limit to cgroup v2 memory.swap.max, which
 * limits swap alone: swap - limit. -1 stays unlimited.
 *
 * `limit` is the memory limit in effect (given, or read from memory.max),
 * with -1 for unlimited.
 */
export function swapToV2(swap: bigint, limit: bigint, field: string): bigint {
  if (swap === -1n) return -1n;
  if (limit === -1n) {
    throw new CgroupError(`${field}: a memory+swap limit of ${swap} needs a memory limit too (linux.resources.memory.limit), because cgroup v2 limits swap on its own`);
  }
  if (swap < limit) {
    throw new CgroupError(`${field}: the memory+swap limit ${swap} is lower than the memory limit ${limit}`);
  }
  return swap - limit;
}

/** Checks a device number (major or minor) and returns it as "major:minor" text. */
export function deviceNumber(major: Int64, minor: Int64, field: string): string {
  const maj = integerInRange(major, `${field}.major`, 0n, UINT32_MAX);
  const min = integerInRange(minor, `${field}.minor`, 0n, UINT32_MAX);
  return `${maj}:${min}`;
}

/** Parses a value read back from a v1 or v2 limit file: "max" and v1's huge sentinel become -1. */
export function parseReadLimit(text: string): bigint {
  const trimmed = text.trim();
  if (trimmed === "max" || trimmed === "-1") return -1n;
  const n = BigInt(trimmed);
  // cgroup v1 reports "unlimited" as PAGE_COUNTER_MAX pages in bytes,
  // which is just below 2^63 and depends on the page size.
  return n >= INT64_MAX - (1n << 20n) ? -1n : n;
}

/**
 * Compares the bandwidth ratios runtime/period of two (runtime, period)
 * pairs, where a runtime of -1 is unlimited. Returns a negative number, zero
 * or a positive number, like a sort comparator.
 */
export function compareBandwidth(a: [bigint, bigint], b: [bigint, bigint]): number {
  const [runtimeA, periodA] = a;
  const [runtimeB, periodB] = b;
  if (runtimeA === -1n || runtimeB === -1n) return (runtimeA === -1n ? 1 : 0) - (runtimeB === -1n ? 1 : 0);
  const left = runtimeA * periodB;
  const right = runtimeB * periodA;
  if (left < right) return -1;
  return left > right ? 1 : 0;
}

/**
 * Decides whether to write the new period before the new runtime (quota)
 * when both change. The kernel checks each write against the other value in
 * effect and against the parent's bandwidth, so the order whose intermediate
 * state grants less bandwidth is the one that passes.
 */
export function periodFirst(current: { runtime: bigint; period: bigint }, next: { runtime: bigint; period: bigint }): boolean {
  const periodThenRuntime: [bigint, bigint] = [current.runtime, next.period];
  const runtimeThenPeriod: [bigint, bigint] = [next.runtime, current.period];
  return compareBandwidth(periodThenRuntime, runtimeThenPeriod) <= 0;
}

/**
 * Decides whether a new CPU burst can be written before the quota. The kernel
 * rejects a burst larger than the quota in effect, so a burst that fits the
 * current quota goes first, and one that needs the new quota goes after it.
 */
export function burstFirst(burst: bigint, currentQuota: bigint): boolean {
  return currentQuota === -1n || burst <= currentQuota;
}
