// Building blocks of Cgroup.stats(), shared by both cgroup versions.
import type { BlkioEntryStats, CgroupStats, MemoryEntryStats } from "./types.ts";

export function emptyMemoryEntry(): MemoryEntryStats {
  return { limit: 0, usage: 0, max: 0, failcnt: 0 };
}

export function emptyStats(): CgroupStats {
  return {
    cpu: { usage: { total: 0, kernel: 0, user: 0 }, throttling: { periods: 0, throttledPeriods: 0, throttledTime: 0 } },
    memory: { cache: 0, usage: emptyMemoryEntry(), swap: emptyMemoryEntry(), kernel: emptyMemoryEntry(), kernelTCP: emptyMemoryEntry(), raw: {} },
    pids: { current: 0, limit: 0 },
    blkio: { ioServiceBytesRecursive: [], ioServicedRecursive: [] },
    hugetlb: {},
  };
}

/** Reads a counter file; a missing file or "max" counts as 0, as runc reports them. */
export function counter(text: string | undefined): number {
  if (text === undefined) return 0;
  const value = Number(text.trim());
  return Number.isFinite(value) ? value : 0;
}

/** Parses a space-separated list of counters, such as cpuacct.usage_percpu. */
export function counterList(text: string | undefined): number[] | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  return text.trim().split(/\s+/).map(Number);
}

/** Parses blkio lines of the form "8:0 Read 4096"; the "Total" line is left out. */
export function parseBlkioLines(text: string | undefined): BlkioEntryStats[] {
  const entries: BlkioEntryStats[] = [];
  for (const line of (text ?? "").split("\n")) {
    const [device, op, value] = line.trim().split(/\s+/);
    const numbers = /^(\d+):(\d+)$/.exec(device ?? "");
    if (numbers === null || op === undefined || value === undefined) continue;
    entries.push({ major: Number(numbers[1]), minor: Number(numbers[2]), op, value: Number(value) });
  }
  return entries;
}
