// cgroup v1 memory controller: linux.resources.memory.
import { hasAnyField, type ControllerDriver } from "../controller.ts";
import { CgroupError } from "../errors.ts";
import type { CgroupDir, CgroupWrite } from "../fs.ts";
import { counter } from "../stats.ts";
import type { CgroupStats, LinuxMemory, MemoryEntryStats } from "../types.ts";
import { byteLimit, integerInRange, isSetNonZero, parseReadLimit, v1Limit } from "../values.ts";

const FIELD = "linux.resources.memory";

/** The current values of the cgroup that the memory plan reads. */
export interface MemoryV1State {
  /** memory.limit_in_bytes, -1 when unlimited. */
  limit: bigint;
  /** Whether the kernel accounts swap (memory.memsw.* exists). */
  hasMemsw: boolean;
  /** memory.usage_in_bytes, read only for checkBeforeUpdate. */
  usage(): bigint;
}

/**
 * Plans the writes for linux.resources.memory. cgroup v1 requires
 * memory.limit_in_bytes <= memory.memsw.limit_in_bytes after every write, so
 * when both change, the memory+swap limit goes first if it does not fall
 * below the current memory limit, and second otherwise.
 */
export function planMemoryV1(memory: LinuxMemory, state: MemoryV1State): CgroupWrite[] {
  const limit = isSetNonZero(memory.limit) ? byteLimit(memory.limit, `${FIELD}.limit`) : undefined;
  let swap = isSetNonZero(memory.swap) ? byteLimit(memory.swap, `${FIELD}.swap`) : undefined;
  let swapField = `${FIELD}.swap`;

  // An unlimited memory limit cannot exceed a finite memory+swap limit, so
  // "limit: -1" without a swap value lifts both, as runc does.
  if (limit === -1n && swap === undefined && state.hasMemsw) {
    swap = -1n;
    swapField = `${FIELD}.limit`;
  }
  if (limit !== undefined && swap !== undefined && swap !== -1n && (limit === -1n || swap < limit)) {
    throw new CgroupError(`${FIELD}.swap: the memory+swap limit ${swap} is lower than the memory limit ${limit === -1n ? "(unlimited)" : limit}`);
  }
  if (memory.checkBeforeUpdate === true && limit !== undefined && limit !== -1n) {
    const usage = state.usage();
    if (limit < usage) throw new CgroupError(`${FIELD}.limit: the new limit ${limit} is below the current usage ${usage} (checkBeforeUpdate is set)`);
  }

  const writes: CgroupWrite[] = [];
  const limitWrite = limit === undefined ? undefined : { file: "memory.limit_in_bytes", value: v1Limit(limit), field: `${FIELD}.limit` };
  const swapWrite = swap === undefined ? undefined : { file: "memory.memsw.limit_in_bytes", value: v1Limit(swap), field: swapField };
  if (limitWrite !== undefined && swapWrite !== undefined && swap !== undefined) {
    const swapFitsNow = swap === -1n || (state.limit !== -1n && swap >= state.limit);
    writes.push(...(swapFitsNow ? [swapWrite, limitWrite] : [limitWrite, swapWrite]));
  } else {
    if (limitWrite !== undefined) writes.push(limitWrite);
    if (swapWrite !== undefined) writes.push(swapWrite);
  }

  if (isSetNonZero(memory.reservation)) {
    writes.push({ file: "memory.soft_limit_in_bytes", value: v1Limit(byteLimit(memory.reservation, `${FIELD}.reservation`)), field: `${FIELD}.reservation` });
  }
  if (isSetNonZero(memory.kernel)) {
    writes.push({ file: "memory.kmem.limit_in_bytes", value: v1Limit(byteLimit(memory.kernel, `${FIELD}.kernel`)), field: `${FIELD}.kernel` });
  }
  if (isSetNonZero(memory.kernelTCP)) {
    writes.push({ file: "memory.kmem.tcp.limit_in_bytes", value: v1Limit(byteLimit(memory.kernelTCP, `${FIELD}.kernelTCP`)), field: `${FIELD}.kernelTCP` });
  }
  if (memory.swappiness !== undefined) {
    const swappiness = integerInRange(memory.swappiness, `${FIELD}.swappiness`, 0n, 100n);
    writes.push({ file: "memory.swappiness", value: swappiness.toString(), field: `${FIELD}.swappiness` });
  }
  if (memory.disableOOMKiller !== undefined) {
    writes.push({ file: "memory.oom_control", value: memory.disableOOMKiller ? "1" : "0", field: `${FIELD}.disableOOMKiller` });
  }
  if (memory.useHierarchy !== undefined) {
    writes.push({ file: "memory.use_hierarchy", value: memory.useHierarchy ? "1" : "0", field: `${FIELD}.useHierarchy` });
  }
  return writes;
}

function readState(dir: CgroupDir): MemoryV1State {
  return {
    limit: parseReadLimit(dir.read("memory.limit_in_bytes")),
    hasMemsw: dir.exists("memory.memsw.limit_in_bytes"),
    usage: () => BigInt(dir.read("memory.usage_in_bytes")),
  };
}

export const memoryV1: ControllerDriver = {
  controller: "memory",
  field: FIELD,
  isSet: (resources) => hasAnyField(resources.memory),
  plan: (resources, dir) => planMemoryV1(resources.memory ?? {}, readState(dir)),
};

function memoryEntry(dir: CgroupDir, prefix: string): MemoryEntryStats {
  return {
    limit: counter(dir.readOptional(`${prefix}.limit_in_bytes`)),
    usage: counter(dir.readOptional(`${prefix}.usage_in_bytes`)),
    max: counter(dir.readOptional(`${prefix}.max_usage_in_bytes`)),
    failcnt: counter(dir.readOptional(`${prefix}.failcnt`)),
  };
}

/** Fills the memory statistics from memory.stat and the usage, limit and failcnt files. */
export function readMemoryStatsV1(dir: CgroupDir, stats: CgroupStats): void {
  const raw = Object.fromEntries(dir.readKeyValues("memory.stat"));
  stats.memory.raw = raw;
  stats.memory.cache = raw["cache"] ?? 0;
  stats.memory.usage = memoryEntry(dir, "memory");
  stats.memory.swap = memoryEntry(dir, "memory.memsw");
  stats.memory.kernel = memoryEntry(dir, "memory.kmem");
  stats.memory.kernelTCP = memoryEntry(dir, "memory.kmem.tcp");
}

/** Returns the oom_kill count of memory.oom_control (Linux 4.13 and later). */
export function readOomKillCountV1(dir: CgroupDir): number {
  return dir.readKeyValues("memory.oom_control").get("oom_kill") ?? 0;
}
