// The directories of one cgroup: one per hierarchy it lives in, built either
// from the mounted hierarchies or from the paths saved in state.json.
import { dirname, join } from "node:path";
import { CgroupDir } from "./fs.ts";
import type { CgroupLayout, Hierarchy } from "./layout.ts";
import { DEFAULT_PARENT, isUnderDefaultParent } from "./paths.ts";

/** The key of the cgroup2 hierarchy in Cgroup.paths and Cgroup.ownedTop. */
export const UNIFIED_KEY = "unified";

/** The cgroup's directory in one hierarchy. */
export interface Member {
  version: 1 | 2;
  /** v1: the controllers (and "name=...") of the hierarchy; v2: empty, read cgroup.controllers instead. */
  controllers: string[];
  /** Unknown for a cgroup reopened from paths whose hierarchy is no longer mounted here. */
  mountPoint: string | undefined;
  dir: CgroupDir;
  /**
   * The highest directory from the cgroup upwards that belongs to ns: one it
   * created, or DEFAULT_PARENT. destroy() removes the empty directories from
   * the cgroup up to here, and create() enables cgroup v2 controllers only in
   * these.
   */
  ownedTop: string;
  /**
   * Whether the cgroup's directory here is ns's to remove: create() made it,
   * or the member was reopened from state.json. destroy() leaves the others
   * alone, so that a failed create() never removes a cgroup someone else made.
   */
  created: boolean;
}

/** Returns the keys of a member in Cgroup.paths: each of its v1 controllers, or "unified". */
export function memberKeys(member: Member): string[] {
  return member.version === 2 ? [UNIFIED_KEY] : member.controllers;
}

/** Returns the members of a cgroup path in the given hierarchies, before anything is created. */
export function membersFor(path: string, hierarchies: readonly Hierarchy[]): Member[] {
  return hierarchies.map((hierarchy) => {
    const dir = join(hierarchy.mountPoint, path);
    return {
      version: hierarchy.version,
      controllers: hierarchy.version === 1 ? [...hierarchy.controllers] : [],
      mountPoint: hierarchy.mountPoint,
      dir: new CgroupDir(dir),
      ownedTop: defaultOwnedTop(hierarchy.mountPoint, path, dir),
      created: false,
    };
  });
}

/** Returns the owned top that needs no record: DEFAULT_PARENT for paths below it, otherwise the cgroup itself. */
export function defaultOwnedTop(mountPoint: string | undefined, path: string, dir: string): string {
  if (mountPoint !== undefined && isUnderDefaultParent(path) && path !== DEFAULT_PARENT) return join(mountPoint, DEFAULT_PARENT);
  return dir;
}

/**
 * Rebuilds the members from Cgroup.paths. Keys that share a directory are one
 * v1 hierarchy; the mount point is found again among `hierarchies`.
 * `ownedTop` comes from Cgroup.ownedTop when the caller saved it.
 */
export function membersFromPaths(
  paths: Readonly<Record<string, string>>,
  ownedTop: Readonly<Record<string, string>>,
  hierarchies: readonly Hierarchy[],
): { members: Member[]; path: string } {
  const byDir = new Map<string, string[]>();
  for (const [key, dir] of Object.entries(paths)) byDir.set(dir, [...(byDir.get(dir) ?? []), key]);

  let path: string | undefined;
  const members: Member[] = [];
  for (const [dir, keys] of byDir) {
    const version = keys.includes(UNIFIED_KEY) ? 2 : 1;
    const mountPoint = hierarchies
      .filter((hierarchy) => hierarchy.version === version && (dir === hierarchy.mountPoint || dir.startsWith(`${hierarchy.mountPoint}/`)))
      .map((hierarchy) => hierarchy.mountPoint)
      .sort((a, b) => b.length - a.length)[0];
    const relative = mountPoint === undefined ? undefined : dir.slice(mountPoint.length) || "/";
    path ??= relative;
    const saved = keys.map((key) => ownedTop[key]).find((top) => top !== undefined);
    members.push({
      version,
      controllers: version === 1 ? keys : [],
      mountPoint,
      dir: new CgroupDir(dir),
      ownedTop: saved ?? defaultOwnedTop(mountPoint, relative ?? "", dir),
      created: true,
    });
  }
  return { members, path: path ?? "" };
}

/** Returns the layout that a set of members spans. */
export function layoutOfMembers(members: readonly Member[]): CgroupLayout {
  const v1 = members.some((member) => member.version === 1 && member.controllers.some((name) => !name.startsWith("name=")));
  const v2 = members.some((member) => member.version === 2);
  if (v1) return v2 ? "hybrid" : "v1";
  return "v2";
}

/** Returns the directories from `top` down to `dir`, both included, or just [dir] when `top` is not above it. */
export function chainFrom(top: string, dir: string): string[] {
  const chain: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    chain.unshift(current);
    if (current === top) return chain;
    if (!current.startsWith(`${top}/`)) return [dir];
  }
}
