// Tearing a cgroup down: kill every process in it, wait until it is empty,
// remove its directories and those of the empty parents that ns owns.
import { rmdirSync } from "node:fs";
import { dirname } from "node:path";
import { SyscallError, tryKill } from "../ffi/libc.ts";
import { CgroupError, errorCode, toSyscallError } from "./errors.ts";
import type { CgroupDir } from "./fs.ts";
import type { Member } from "./members.ts";
import { setFreezerStateV1 } from "./v1/freezer.ts";
import { isPopulatedV2, setFrozenV2 } from "./v2/freezer.ts";

const SIGKILL = 9;
const ESRCH = 3;
const KILL_TIMEOUT_MS = 10_000;
const RMDIR_TIMEOUT_MS = 5_000;

/** Returns every pid in the directories and their descendants, sorted and without repeats. */
export function pidsIn(dirs: readonly CgroupDir[]): number[] {
  const pids = new Set<number>();
  for (const dir of dirs) {
    for (const pid of dir.procs()) pids.add(pid);
    for (const child of dir.descendants()) for (const pid of child.procs()) pids.add(pid);
  }
  return [...pids].sort((a, b) => a - b);
}

function sleepWithBackoff(delayMs: number): number {
  Bun.sleepSync(delayMs);
  return Math.min(delayMs * 2, 50);
}

/** Waits until the cgroup2 directory reports "populated 0". */
function waitUnpopulated(dir: CgroupDir, deadline: number): void {
  let delayMs = 1;
  while (isPopulatedV2(dir)) {
    if (Date.now() > deadline) throw new CgroupError(`timed out after ${KILL_TIMEOUT_MS} ms waiting for the processes in ${dir.path} to exit`);
    delayMs = sleepWithBackoff(delayMs);
  }
}

/**
 * Kills every process in the cgroup and waits until none is left. cgroup.kill
 * (cgroup v2, Linux 5.14) kills the whole subtree at once. Otherwise the
 * cgroup is frozen so that no process can fork while the pids are read and
 * killed, then thawed so that the SIGKILLs take effect, and this repeats until
 * the cgroup is empty in every hierarchy.
 */
export function killAll(members: readonly Member[]): void {
  const deadline = Date.now() + KILL_TIMEOUT_MS;
  const live = members.filter((member) => member.dir.exists("cgroup.procs"));
  const dirs = live.map((member) => member.dir);
  if (pidsIn(dirs).includes(process.pid)) {
    throw new CgroupError(`cannot kill the processes of ${dirs[0]!.path}: it contains this process (${process.pid})`);
  }
  const unified = live.find((member) => member.version === 2);
  const freezerV1 = live.find((member) => member.version === 1 && member.controllers.includes("freezer"));
  const freezerV2 = unified !== undefined && unified.dir.exists("cgroup.freeze") ? unified : undefined;
  if (unified !== undefined && unified.dir.exists("cgroup.kill")) {
    unified.dir.write({ file: "cgroup.kill", value: "1", field: "" });
    // A task stopped by the v1 freezer (a paused container on a hybrid
    // host) handles its SIGKILL only once it is thawed.
    if (freezerV1 !== undefined) setFreezerStateV1(freezerV1.dir, "THAWED");
    waitUnpopulated(unified.dir, deadline);
  }

  let delayMs = 1;
  for (let pids = pidsIn(dirs); pids.length > 0; pids = pidsIn(dirs)) {
    if (Date.now() > deadline) {
      throw new CgroupError(`timed out after ${KILL_TIMEOUT_MS} ms killing the processes of ${dirs[0]!.path} (still running: ${pids.join(", ")})`);
    }
    if (freezerV1 !== undefined) setFreezerStateV1(freezerV1.dir, "FROZEN");
    else if (freezerV2 !== undefined) setFrozenV2(freezerV2.dir, true);
    try {
      for (const pid of pidsIn(dirs)) {
        const errno = tryKill(pid, SIGKILL);
        if (errno !== 0 && errno !== ESRCH) throw new SyscallError("kill", errno, String(pid));
      }
    } finally {
      if (freezerV1 !== undefined) setFreezerStateV1(freezerV1.dir, "THAWED");
      else if (freezerV2 !== undefined) setFrozenV2(freezerV2.dir, false);
    }
    delayMs = sleepWithBackoff(delayMs);
  }
}

/**
 * Removes one directory. The kernel returns EBUSY for a short while after the
 * last process left, because the exit is still being accounted, so EBUSY is
 * retried until `deadline`. A missing directory counts as removed.
 */
function rmdirRetrying(path: string, deadline: number): void {
  let delayMs = 1;
  for (;;) {
    try {
      rmdirSync(path);
      return;
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOENT") return;
      if (code !== "EBUSY" || Date.now() > deadline) {
        throw new CgroupError(`cannot remove the cgroup ${path}: ${(toSyscallError(error, "rmdir", path) as Error).message}`, { cause: error });
      }
    }
    delayMs = sleepWithBackoff(delayMs);
  }
}

/**
 * Removes the cgroup's directory and its descendants, then each empty parent
 * up to the member's owned top. Removing a parent that another container
 * still uses fails with EBUSY or ENOTEMPTY, and the parent stays.
 */
export function removeMember(member: Member): void {
  const deadline = Date.now() + RMDIR_TIMEOUT_MS;
  for (const child of member.dir.descendants()) rmdirRetrying(child.path, deadline);
  rmdirRetrying(member.dir.path, deadline);
  member.created = false;
  removeEmptyUpTo(dirname(member.dir.path), member.ownedTop);
}

/**
 * Removes dir and then each parent up to top while they are empty. A missing
 * one counts as removed; one that is busy or has children ends the walk.
 */
function removeEmptyUpTo(dir: string, top: string): void {
  for (; dir === top || dir.startsWith(`${top}/`); dir = dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch (error) {
      const code = errorCode(error);
      if (code === "EBUSY" || code === "ENOTEMPTY") return;
      if (code !== "ENOENT") throw new CgroupError(`cannot remove the cgroup ${dir}: ${(toSyscallError(error, "rmdir", dir) as Error).message}`, { cause: error });
    }
  }
}

/**
 * Removes the member's directory if it is empty, then its empty parents up to
 * the owned top. It kills nothing. It serves a cgroup that a creator noted
 * before its mkdir: a directory with processes or children there is not the
 * container's.
 */
export function removeMemberIfEmpty(member: Member): void {
  removeEmptyUpTo(member.dir.path, member.ownedTop);
}
