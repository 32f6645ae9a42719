// The container's users and groups: /etc/passwd and /etc/group inside the
// rootfs, and the `user[:group]` strings of `ns exec --user`.
import { readFileSync } from "node:fs";
import { secureJoin } from "./mounts/securejoin.ts";

/** NGROUPS_MAX of Linux: setgroups(2) rejects a longer list with EINVAL. */
export const NGROUPS_MAX = 65536;

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function readLines(root: string, path: string): string[] {
  try {
    return readFileSync(secureJoin(root, path), "utf8").split("\n");
  } catch {
    return [];
  }
}

export function readPasswd(root: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of readLines(root, "/etc/passwd")) {
    const f = line.split(":");
    if (f.length < 7 || line.startsWith("#")) continue;
    entries.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! });
  }
  return entries;
}

export function readGroups(root: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const line of readLines(root, "/etc/group")) {
    const f = line.split(":");
    if (f.length < 4 || line.startsWith("#")) continue;
    entries.push({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(",").filter(Boolean) });
  }
  return entries;
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

const NUMERIC = /^\d+$/;

/**
 * Resolves `user`, `uid`, `user:group` or `uid:gid` against the container's
 * /etc/passwd and /etc/group. A user given by name also gets the
 * supplementary groups that list it; numeric ids need no entry.
 */
export function resolveUserSpec(spec: string, root: string): ResolvedUser {
  const [userPart = "", groupPart] = spec.split(":", 2);
  const passwd = readPasswd(root);
  let entry: PasswdEntry | undefined;
  let uid: number;
  if (NUMERIC.test(userPart)) {
    uid = Number(userPart);
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === userPart);
    if (!entry) throw new Error(`user "${userPart}" not found in the container's /etc/passwd`);
    uid = entry.uid;
  }
  const groups = readGroups(root);
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== "") {
    if (NUMERIC.test(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new Error(`group "${groupPart}" not found in the container's /etc/group`);
      gid = g.gid;
    }
  }
  const additionalGids =
    groupPart === undefined && entry ? groups.filter((g) => g.members.includes(entry!.name)).map((g) => g.gid) : [];
  return { uid, gid, additionalGids, home: entry?.home || "/" };
}

/** The home directory of uid in the container, or "/" when it has no entry. */
export function homeOf(uid: number, root: string): string {
  return readPasswd(root).find((p) => p.uid === uid)?.home || "/";
}
