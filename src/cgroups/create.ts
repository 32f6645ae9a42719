// Creating a cgroup's directories: mkdir of the missing parents with a retry
// for a concurrent rmdir, the v1 cpuset copy from the parent, and the cgroup
// v2 controller delegation in the parents that ns owns.
import { mkdirSync, rmdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { CgroupError, errorCode, toSyscallError } from "./errors.ts";
import { CgroupDir } from "./fs.ts";
import { chainFrom, type Member } from "./members.ts";
import { isUnderDefaultParent } from "./paths.ts";
import { fillCpusetFromParent } from "./v1/cpuset.ts";
import { enableSubtreeControllers } from "./v2/subtree.ts";

const MKDIR_ATTEMPTS = 20;

/**
 * Creates `path` below `mountPoint`, parents first, and returns the
 * directories this call created. Another container's destroy() may remove an
 * empty shared parent between two mkdirs, which makes the next mkdir fail
 * with ENOENT, so the whole chain is retried.
 */
export function mkdirChain(mountPoint: string, path: string): string[] {
  const segments = path.split("/").filter((segment) => segment !== "");
  const created: string[] = [];
  for (let attempt = 1; ; attempt++) {
    let dir = mountPoint;
    try {
      for (const segment of segments) {
        dir = join(dir, segment);
        try {
          mkdirSync(dir, 0o755);
          if (!created.includes(dir)) created.push(dir);
        } catch (error) {
          if (errorCode(error) !== "EEXIST") throw error;
        }
      }
      return created;
    } catch (error) {
      if (errorCode(error) !== "ENOENT" || attempt >= MKDIR_ATTEMPTS) {
        throw new CgroupError(`cannot create the cgroup directory ${dir}: ${(toSyscallError(error, "mkdir", dir) as Error).message}`, { cause: error });
      }
    }
  }
}

/** Removes directories that mkdirChain created, deepest first, leaving any that became busy. */
function removeCreated(created: readonly string[]): void {
  for (const dir of [...created].reverse()) {
    try {
      rmdirSync(dir);
    } catch {
      // Another container may have made it its parent in the meantime.
    }
  }
}

/**
 * Creates the cgroup in one hierarchy and records the highest directory that
 * ns owns there. The cgroup itself must be new unless it lies below
 * DEFAULT_PARENT (left over from an earlier ns container) and is empty,
 * because ns does not take over cgroups that others made. On failure the
 * directories made here are removed again.
 */
export function createMember(member: Member, path: string): void {
  if (member.mountPoint === undefined) throw new CgroupError(`cannot create ${member.dir.path}: its cgroup hierarchy is not mounted`);
  const created = mkdirChain(member.mountPoint, path);
  try {
    prepareMember(member, path, created);
  } catch (error) {
    removeCreated(created);
    throw error;
  }
  member.created = true;
}

function prepareMember(member: Member, path: string, created: readonly string[]): void {
  const leaf = member.dir.path;
  if (!created.includes(leaf)) {
    if (!isUnderDefaultParent(path)) {
      throw new CgroupError(`linux.cgroupsPath: the cgroup ${leaf} already exists, and ns uses only cgroups that it creates. Choose another path.`);
    }
    const pids = member.dir.procs();
    if (pids.length > 0) throw new CgroupError(`the cgroup ${leaf} already exists and contains processes ${pids.join(", ")}`);
  }
  for (const dir of created) {
    if (dir.length < member.ownedTop.length) member.ownedTop = dir;
  }

  const chain = chainFrom(member.ownedTop, leaf);
  if (member.version === 1 && member.controllers.includes("cpuset")) {
    for (const dir of chain) fillCpusetFromParent(new CgroupDir(dir), new CgroupDir(dirname(dir)));
  }
  if (member.version === 2) {
    // Controllers go into the subtree_control of every owned ancestor, top
    // down, but not into the cgroup's own, because processes join it and a
    // cgroup that delegates controllers must have no processes.
    for (const dir of chain.slice(0, -1)) enableSubtreeControllers(new CgroupDir(dir));
  }
}
