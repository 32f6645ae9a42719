// The init stage's input: the launcher's "config" message.
import type { DeviceSpec } from "../mounts/devices.ts";
import type { MountSpec } from "../mounts/rootfs.ts";
import type { RlimitSpec } from "../rlimits.ts";
import type { EncodedFilter } from "../seccomp/load.ts";

export interface HookSpec {
  path: string;
  args?: string[] | undefined;
  env?: string[] | undefined;
  timeout?: number | undefined;
}

export interface ProcessSpec {
  terminal?: boolean | undefined;
  consoleSize?: { height: number; width: number } | undefined;
  user: { uid: number; gid: number; umask?: number | undefined; additionalGids?: number[] | undefined };
  args: string[];
  env?: string[] | undefined;
  cwd: string;
  capabilities?:
    | {
        bounding?: string[] | undefined;
        effective?: string[] | undefined;
        inheritable?: string[] | undefined;
        permitted?: string[] | undefined;
        ambient?: string[] | undefined;
      }
    | undefined;
  rlimits?: RlimitSpec[] | undefined;
  noNewPrivileges?: boolean | undefined;
  oomScoreAdj?: number | undefined;
  apparmorProfile?: string | undefined;
  selinuxLabel?: string | undefined;
}

/** The init stage's whole input, as JSON. */
export interface InitConfig {
  id: string;
  bundle: string;
  /** Absolute host path of the rootfs. */
  rootfs: string;
  readonlyRoot: boolean;
  /** The rootfs is a recursive read-only bind of the host's / (the zero-config mode). */
  hostRoot: boolean;
  noPivot: boolean;
  process: ProcessSpec;
  hostname?: string | undefined;
  domainname?: string | undefined;
  mounts: MountSpec[];
  devices: DeviceSpec[];
  maskedPaths: string[];
  readonlyPaths: string[];
  sysctl: Record<string, string>;
  /** linux.seccomp, compiled by the launcher; ns_exec installs it. */
  seccomp?: EncodedFilter | undefined;
  rootfsPropagation?: string | undefined;
  mountLabel?: string | undefined;
  /** The container has a mount namespace (new or joined); without one, no mount is touched. */
  mountNamespace: boolean;
  /** A user namespace, new or joined: no mknod, and locked mount flags. */
  userNamespace: boolean;
  /** setgroups(2) is allowed in the container's user namespace. */
  setgroups: boolean;
  /** The init stage unshares the cgroup namespace once it sits in its cgroup. */
  newCgroupNamespace: boolean;
  /** Unshare the ipc namespace here, as root of the user namespace (so /dev/mqueue is the container's). */
  unshareIpc: boolean;
  newUtsNamespace: boolean;
  cgroupPath?: string | undefined;
  /** Network state from the launcher, for the container side of the setup. */
  network?: unknown;
  /** fds 3 .. 3+preserveFds-1 pass to the container process. */
  preserveFds: number;
  /** Wait for `ns start` on this fifo (create); without it, wait for a "start" message (run). */
  execFifo?: string | undefined;
  /** The init stage sends the launcher a pty master over the sync pipe. */
  terminal: boolean;
  /** Send the launcher "hooks" before pivot_root and wait for "hooksDone". */
  runtimeHooks: boolean;
  createContainerHooks: HookSpec[];
  startContainerHooks: HookSpec[];
  /** The OCI state passed to hooks on stdin. */
  hookState: Record<string, unknown>;
  /** Kill the container when the launcher dies (foreground run). */
  parentDeathSignal: number;
  debug: boolean;
}
