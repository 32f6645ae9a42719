// Parser for /proc/PID/mountinfo (proc(5)).
import { readFileSync } from "node:fs";

export interface MountInfo {
  id: number;
  parent: number;
  /** "major:minor" of the filesystem. */
  device: string;
  /** The directory within the filesystem that forms this mount's root. */
  root: string;
  mountPoint: string;
  /** Per-mount options ("rw,nosuid,relatime"). */
  options: string;
  /** Optional fields such as "shared:1" or "master:2". */
  optional: string[];
  fsType: string;
  source: string;
  superOptions: string;
}

/** Undoes the kernel's octal escapes of space, tab, newline and backslash. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountInfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const fields = line.split(" ");
    const dash = fields.indexOf("-", 6);
    if (dash < 0 || fields.length < dash + 4) continue;
    mounts.push({
      id: Number(fields[0]),
      parent: Number(fields[1]),
      device: fields[2]!,
      root: unescape(fields[3]!),
      mountPoint: unescape(fields[4]!),
      options: fields[5]!,
      optional: fields.slice(6, dash),
      fsType: fields[dash + 1]!,
      source: unescape(fields[dash + 2]!),
      superOptions: fields[dash + 3]!,
    });
  }
  return mounts;
}

export function readMountInfo(pid: number | "self" = "self"): MountInfo[] {
  return parseMountInfo(readFileSync(`/proc/${pid}/mountinfo`, "utf8"));
}

/** The mount that contains path: the longest mount point that is a prefix of it. */
export function mountContaining(mounts: readonly MountInfo[], path: string): MountInfo | undefined {
  let best: MountInfo | undefined;
  for (const m of mounts) {
    const prefix = m.mountPoint === "/" ? "/" : `${m.mountPoint}/`;
    if (path !== m.mountPoint && !path.startsWith(prefix)) continue;
    if (!best || m.mountPoint.length >= best.mountPoint.length) best = m;
  }
  return best;
}
