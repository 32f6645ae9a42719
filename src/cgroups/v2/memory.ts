// cgroup v2 memory controller: linux.resources.memory through the OCI v1-to-v2
// conversions (limit to memory.max, reservation to memory.low, memory+swap to
// memory.swap.max).
import { hasAnyField, type ControllerDriver } from "../controller.ts";
import { CgroupError, CgroupUnsupportedError } from "../errors.ts";
import type { CgroupDir, CgroupWrite } from "../fs.ts";
import { counter } from "../stats.ts";
import type { CgroupStats, LinuxMemory } from "../types.ts";
import { byteLimit, isSetNonZero, parseReadLimit, swapToV2, v2Limit } from "../values.ts";

const FIELD = "linux.resources.memory";

/** The current values of the cgroup that the plan reads. */
export interface MemoryV2State {
  /** memory.max, -1 when "max". */
  limit(): bigint;
  /** memory.current, read only for checkBeforeUpdate. */
  usage(): bigint;
  /** Whether the kernel accounts swap (memory.swap.max exists). */
  hasSwap: boolean;
}

function unsupported(field: string, reason: string): never {
  throw new CgroupUnsupportedError(`${FIELD}.${field}: ${reason}`);
}

/** Plans the memory writes for cgroup v2, rejecting the v1-only fields it cannot convert. */
export function planMemoryV2(memory: LinuxMemory, state: MemoryV2State): CgroupWrite[] {
  if (isSetNonZero(memory.kernel)) unsupported("kernel", "cgroup v2 has no separate kernel memory limit, because memory.max counts kernel memory too. Remove the field.");
  if (isSetNonZero(memory.kernelTCP)) unsupported("kernelTCP", "cgroup v2 has no separate TCP buffer limit, because memory.max counts it too. Remove the field.");
  if (memory.swappiness !== undefined) unsupported("swappiness", "cgroup v2 has no per-cgroup swappiness. Remove the field.");
  if (memory.disableOOMKiller === true) unsupported("disableOOMKiller", "cgroup v2 cannot disable the OOM killer for a cgroup");
  if (memory.useHierarchy === false) unsupported("useHierarchy", "cgroup v2 always accounts memory hierarchically");

  const writes: CgroupWrite[] = [];
  const limit = isSetNonZero(memory.limit) ? byteLimit(memory.limit, `${FIELD}.limit`) : undefined;
  if (limit !== undefined) {
    if (memory.checkBeforeUpdate === true && limit !== -1n) {
      const usage = state.usage();
      if (limit < usage) throw new CgroupError(`${FIELD}.limit: the new limit ${limit} is below the current usage ${usage} (checkBeforeUpdate is set)`);
    }
    writes.push({ file: "memory.max", value: v2Limit(limit), field: `${FIELD}.limit` });
  }

  if (isSetNonZero(memory.swap)) {
    const swap = byteLimit(memory.swap, `${FIELD}.swap`);
    const swapOnly = swapToV2(swap, limit ?? state.limit(), `${FIELD}.swap`);
    writes.push({ file: "memory.swap.max", value: v2Limit(swapOnly), field: `${FIELD}.swap` });
  } else if (limit === -1n && state.hasSwap) {
    // As on cgroup v1, an unlimited memory limit without a swap value
    // means unlimited swap too.
    writes.push({ file: "memory.swap.max", value: "max", field: `${FIELD}.limit` });
  }

  if (isSetNonZero(memory.reservation)) {
    writes.push({ file: "memory.low", value: v2Limit(byteLimit(memory.reservation, `${FIELD}.reservation`)), field: `${FIELD}.reservation` });
  }
  return writes;
}

export const memoryV2: ControllerDriver = {
  controller: "memory",
  field: FIELD,
  isSet: (resources) => hasAnyField(resources.memory),
  plan: (resources, dir) =>
    planMemoryV2(resources.memory ?? {}, {
      limit: () => parseReadLimit(dir.read("memory.max")),
      usage: () => BigInt(dir.read("memory.current")),
      hasSwap: dir.exists("memory.swap.max"),
    }),
};

/**
 * Fills the memory statistics. As runc does, the swap entry reports memory
 * plus swap, which is what the v1 field means.
 */
export function readMemoryStatsV2(dir: CgroupDir, stats: CgroupStats): void {
  const raw = Object.fromEntries(dir.readKeyValues("memory.stat"));
  stats.memory.raw = raw;
  stats.memory.cache = raw["file"] ?? 0;
  const usage = counter(dir.readOptional("memory.current"));
  const limit = counter(dir.readOptional("memory.max"));
  stats.memory.usage = {
    usage,
    limit,
    max: counter(dir.readOptional("memory.peak")),
    failcnt: dir.readKeyValues("memory.events").get("max") ?? 0,
  };
  const swapUsage = counter(dir.readOptional("memory.swap.current"));
  const swapLimit = counter(dir.readOptional("memory.swap.max"));
  stats.memory.swap = {
    usage: usage + swapUsage,
    limit: swapLimit === 0 || limit === 0 ? 0 : swapLimit + limit,
    max: 0,
    failcnt: dir.readKeyValues("memory.swap.events").get("max") ?? 0,
  };
}

/** Returns the oom_kill count of memory.events, which includes the cgroup's descendants. */
export function readOomKillCountV2(dir: CgroupDir): number {
  return dir.readKeyValues("memory.events").get("oom_kill") ?? 0;
}
