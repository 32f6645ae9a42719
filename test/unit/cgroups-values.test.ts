// The OCI value checks and the cgroup v1-to-v2 conversions.
import { describe, expect, test } from "bun:test";
import {
  blkioWeightToIoWeight,
  burstFirst,
  byteLimit,
  compareBandwidth,
  parseReadLimit,
  periodFirst,
  sharesToWeight,
  swapToV2,
  toBigInt,
  v1Limit,
  v2Limit,
} from "../../src/cgroups/values.ts";

describe("integer values", () => {
  test("number and bigint both convert", () => {
    expect(toBigInt(5, "f")).toBe(5n);
    expect(toBigInt(9223372036854775807n, "f")).toBe(9223372036854775807n);
  });

  test("fraction is rejected with the field", () => {
    expect(() => toBigInt(1.5, "linux.resources.memory.limit")).toThrow("linux.resources.memory.limit: expected an integer, got 1.5");
  });

  test("unsafe number is rejected", () => {
    expect(() => toBigInt(2 ** 60, "f")).toThrow("expected an integer");
  });

  test("byte limit accepts -1 only as negative", () => {
    expect(byteLimit(-1, "f")).toBe(-1n);
    expect(() => byteLimit(-2, "f")).toThrow("f: -2 is not a valid limit");
  });

  test("limits are spelled per version", () => {
    expect(v1Limit(-1n)).toBe("-1");
    expect(v2Limit(-1n)).toBe("max");
    expect(v2Limit(4096n)).toBe("4096");
  });

  test("read-back limits recognise unlimited", () => {
    expect(parseReadLimit("max")).toBe(-1n);
    expect(parseReadLimit("9223372036854771712\n")).toBe(-1n);
    expect(parseReadLimit("1048576")).toBe(1048576n);
  });
});

describe("v1 to v2 conversions", () => {
  test("shares map linearly onto cpu.weight", () => {
    expect(sharesToWeight(2n)).toBe(1n);
    expect(sharesToWeight(262144n)).toBe(10000n);
    expect(sharesToWeight(1024n)).toBe(39n);
  });

  test("blkio weight maps linearly onto io.weight", () => {
    expect(blkioWeightToIoWeight(10n)).toBe(1n);
    expect(blkioWeightToIoWeight(1000n)).toBe(10000n);
    expect(blkioWeightToIoWeight(500n)).toBe(4950n);
  });

  test("memory+swap becomes swap alone", () => {
    expect(swapToV2(3000n, 1000n, "f")).toBe(2000n);
    expect(swapToV2(-1n, 1000n, "f")).toBe(-1n);
    expect(swapToV2(1000n, 1000n, "f")).toBe(0n);
  });

  test("swap below the memory limit is rejected", () => {
    expect(() => swapToV2(500n, 1000n, "linux.resources.memory.swap")).toThrow("the memory+swap limit 500 is lower than the memory limit 1000");
  });

  test("swap without a memory limit is rejected", () => {
    expect(() => swapToV2(500n, -1n, "f")).toThrow("needs a memory limit too");
  });
});

describe("write order of bandwidth pairs", () => {
  test("unlimited compares as the largest ratio", () => {
    expect(compareBandwidth([-1n, 100000n], [50000n, 100000n])).toBe(1);
    expect(compareBandwidth([50000n, 100000n], [-1n, 100000n])).toBe(-1);
    expect(compareBandwidth([-1n, 1n], [-1n, 2n])).toBe(0);
    expect(compareBandwidth([1n, 2n], [2n, 4n])).toBe(0);
  });

  test("shrinking the period goes after the runtime", () => {
    // 950000/1000000 to 40000/50000: period first would leave 950000/50000.
    expect(periodFirst({ runtime: 950000n, period: 1000000n }, { runtime: 40000n, period: 50000n })).toBe(false);
  });

  test("growing the period goes first", () => {
    expect(periodFirst({ runtime: 40000n, period: 50000n }, { runtime: 900000n, period: 1000000n })).toBe(true);
  });

  test("burst goes first when it fits the current quota", () => {
    expect(burstFirst(1000n, 5000n)).toBe(true);
    expect(burstFirst(1000n, -1n)).toBe(true);
    expect(burstFirst(9000n, 5000n)).toBe(false);
  });
});
