// The command that starts a container's init stage, and the signals a
// foreground launcher forwards to the container.
import type { SpawnSpec } from "../ffi/trampoline.ts";
import type { Spec } from "../config/schema.ts";
import { CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWTIME, CLONE_NEWUSER } from "../namespaces.ts";
import type { CgroupJoin } from "./cgroupjoin.ts";

/** Signals forwarded to the container process: all catchable ones but those
 * that report faults, SIGCHLD, SIGPIPE, SIGPWR (Bun's engine uses it) and
 * glibc's internal 32 and 33. */
export function forwardedSignalMask(exceptWinch: boolean): bigint {
  const skip = new Set([4, 5, 6, 7, 8, 9, 11, 13, 17, 19, 30, 31, 32, 33]);
  if (exceptWinch) skip.add(28);
  let mask = 0n;
  for (let sig = 1; sig <= 64; sig++) if (!skip.has(sig)) mask |= 1n << BigInt(sig - 1);
  return mask;
}

/**
 * Builds the command that starts an init stage (libcontainer's
 * DefaultCreateCommand): the ns executable again, with argv[0] "ns-init", the clone flags of the
 * config, the sync socket at fd 3+preserveFds (named in _NS_SYNC_FD), the
 * preserved fds, and the parent-death signal. The cgroup namespace is left
 * out: the init stage unshares it once it sits in its cgroup. So is the ipc
 * namespace when there is a new user namespace (see unshareIpcLater).
 */
export function createCommand(o: {
  flags: number;
  syncFd: number;
  exeFd: number;
  preserveFds: number;
  parentDeathSignal: number;
  joinFds: readonly number[];
  timeNamespace: boolean;
  timeOffsets?: string | undefined;
  /** The container's cgroups, which the child joins before it executes the init stage. */
  cgroupJoin?: CgroupJoin | undefined;
  /** The launcher's end of the sync socket, which the child closes. */
  parentSyncFd?: number | undefined;
}): SpawnSpec {
  const childSyncFd = 3 + o.preserveFds;
  return {
    cloneFlags: o.flags & ~(CLONE_NEWCGROUP | CLONE_NEWTIME | (unshareIpcLater(o.flags) ? CLONE_NEWIPC : 0)),
    syncFd: o.syncFd,
    childSyncFd,
    exeFd: o.exeFd,
    argv: ["ns-init"],
    env: [`_NS_SYNC_FD=${childSyncFd}`],
    becomeRoot: (o.flags & CLONE_NEWUSER) !== 0,
    parentDeathSignal: o.parentDeathSignal,
    keepFds: o.preserveFds,
    joinFds: o.joinFds,
    ...(o.timeNamespace ? { timeNamespace: { offsets: o.timeOffsets } } : {}),
    ...(o.cgroupJoin?.cgroupFd !== undefined ? { cgroupFd: o.cgroupJoin.cgroupFd } : {}),
    tasksFds: o.cgroupJoin?.tasksFds ?? [],
    ...(o.parentSyncFd !== undefined ? { parentSyncFd: o.parentSyncFd } : {}),
  };
}

/**
 * Returns whether the init stage unshares the ipc namespace itself. An ipc
 * namespace cloned together with a new user namespace gets its mqueue
 * filesystem while the child's uid is still unmapped, so the container's root
 * could not use /dev/mqueue. The init stage unshares it instead, once it is
 * root in the user namespace.
 */
export function unshareIpcLater(flags: number): boolean {
  return (flags & CLONE_NEWUSER) !== 0 && (flags & CLONE_NEWIPC) !== 0;
}

/** Returns the time namespace offsets of the config, as /proc/PID/timens_offsets takes them. */
export function timeOffsets(spec: Spec): string | undefined {
  const offsets = spec.linux?.timeOffsets as Record<string, { secs?: number; nanosecs?: number }> | undefined;
  if (!offsets) return undefined;
  return Object.entries(offsets)
    .map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}`)
    .join("\n");
}
