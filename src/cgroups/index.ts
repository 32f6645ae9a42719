// The cgroup library of ns: find the hierarchies, create a container's
// cgroup, apply linux.resources with the cgroup v1 or v2 drivers, freeze,
// report statistics and tear it down.
import { readFileSync } from "node:fs";
import { CgroupImpl, type Cgroup } from "./cgroup.ts";
import { hierarchiesUnder, layoutFrom, listHierarchies } from "./layout.ts";
import { removeMemberIfEmpty } from "./destroy.ts";
import { membersFor, membersFromPaths } from "./members.ts";
import { resolveCgroupPath } from "./paths.ts";

export type { Cgroup } from "./cgroup.ts";
export type { OomWatcher } from "./oom.ts";
export { CgroupError, CgroupUnsupportedError } from "./errors.ts";
export { detectLayout, listHierarchies, type CgroupLayout, type Hierarchy } from "./layout.ts";
export { DEFAULT_PARENT, resolveCgroupPath } from "./paths.ts";
export { defaultDeviceRules } from "./devices.ts";
export { UNIFIED_KEY } from "./members.ts";
export type * from "./types.ts";

export interface CgroupOptions {
  /** The container id; names the cgroup when cgroupsPath is absent. */
  id: string;
  /** linux.cgroupsPath of the config. */
  cgroupsPath?: string | undefined;
  /**
   * A directory to use in place of the mounted hierarchies: the cgroup mounts
   * at or below it, or, when nothing is mounted there, a tree that imitates
   * one (for tests).
   */
  root?: string | undefined;
}

/**
 * Returns the cgroup of a container, not yet created. Without `root` it spans every
 * mounted hierarchy: the v1 hierarchies, the cgroup2 hierarchy, or both on a
 * hybrid host. Raises CgroupError for an unusable cgroupsPath.
 */
export function cgroupFor(options: CgroupOptions): Cgroup {
  const path = resolveCgroupPath(options.id, options.cgroupsPath);
  if (options.root !== undefined) return new CgroupImpl(path, membersFor(path, hierarchiesUnder(options.root)));

  const hierarchies = listHierarchies();
  // Checks that some cgroup filesystem is mounted, and raises if none is.
  layoutFrom(readFileSync("/proc/self/cgroup", "utf8"), hierarchies);
  return new CgroupImpl(path, membersFor(path, hierarchies));
}

/**
 * Reopens a container's cgroup from the `paths` (and `ownedTop`) saved in
 * state.json. Without `ownedTop`, destroy() removes the cgroup, and its empty
 * parents only up to DEFAULT_PARENT.
 */
export function loadCgroup(paths: Readonly<Record<string, string>>, ownedTop: Readonly<Record<string, string>> = {}): Cgroup {
  const { members, path } = membersFromPaths(paths, ownedTop, listHierarchies());
  return new CgroupImpl(path, members);
}

/**
 * Removes the cgroup at `paths` (from Cgroup.paths) only where it is empty,
 * with its empty parents below DEFAULT_PARENT, and kills no process. For the
 * cgroup of a creator that died before it could note what it made.
 */
export function removeEmptyCgroup(paths: Readonly<Record<string, string>>): void {
  for (const member of membersFromPaths(paths, {}, listHierarchies()).members) removeMemberIfEmpty(member);
}
