// Reading processes from /proc.
import { readFileSync } from "node:fs";

/**
 * Field 22 (starttime, in clock ticks since boot) of /proc/PID/stat, or
 * undefined when the process is gone. The command name (field 2) may hold
 * spaces and parentheses, so fields are counted from the last ")".
 */
export function readStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), so field 22 is fields[19].
  return fields[19];
}

/** The state letter of /proc/PID/stat (R, S, D, Z, T...), or undefined when gone. */
export function readProcessState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}

/** Whether pid is still the process that started at startTime (and not a zombie). */
export function isSameProcess(pid: number, startTime: string): boolean {
  if (pid <= 0) return false;
  const now = readStartTime(pid);
  if (now === undefined || now !== startTime) return false;
  return readProcessState(pid) !== "Z";
}
