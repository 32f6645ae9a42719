// Making the supervising launcher small while it waits for its container.
import { readFileSync } from "node:fs";
import { syscall } from "../ffi/libc.ts";

const SYS_MADVISE = 28;
const MADV_DONTNEED = 4;

/**
 * Drops the resident pages that the ns executable's file mappings hold in
 * this process. A foreground `ns run` only waits from here on, and the
 * ~100 MB executable would otherwise keep some 15 MiB of code and read-only
 * data from start-up counted in its RSS. Only read-only mappings with no
 * private (anonymous) pages are dropped: the kernel reads them back from the
 * file when they are used again. A mapping the dynamic loader relocated holds
 * private copies that would be lost, and stays.
 */
export function shedStartupPages(): void {
  let smaps: string;
  try {
    smaps = readFileSync("/proc/self/smaps", "utf8");
  } catch {
    return;
  }
  const exe = process.execPath;
  let range: [number, number] | undefined;
  for (const line of smaps.split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const readOnly = head[3] === "r-xp" || head[3] === "r--p";
      range = readOnly && head[4] === exe ? [parseInt(head[1]!, 16), parseInt(head[2]!, 16)] : undefined;
      continue;
    }
    if (!range || !line.startsWith("Anonymous:")) continue;
    if (/^Anonymous:\s+0 kB/.test(line)) {
      try {
        syscall("madvise", SYS_MADVISE, exe, range[0], range[1] - range[0], MADV_DONTNEED);
      } catch {
        // Only a smaller RSS is lost.
      }
    }
    range = undefined;
  }
}
