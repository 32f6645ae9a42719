// Namespace types of the OCI spec, their clone flags and their files in /proc/PID/ns/.

/** The namespace types of `linux.namespaces[].type`. */
export type NamespaceType = "mount" | "uts" | "ipc" | "pid" | "network" | "user" | "cgroup" | "time";

export const CLONE_NEWTIME = 0x00000080;
export const CLONE_NEWNS = 0x00020000;
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;

/** Each namespace type with its clone flag and its file under /proc/PID/ns/. */
export const namespaceList: Readonly<Record<NamespaceType, { flag: number; file: string }>> = {
  user: { flag: CLONE_NEWUSER, file: "user" },
  mount: { flag: CLONE_NEWNS, file: "mnt" },
  uts: { flag: CLONE_NEWUTS, file: "uts" },
  ipc: { flag: CLONE_NEWIPC, file: "ipc" },
  pid: { flag: CLONE_NEWPID, file: "pid" },
  network: { flag: CLONE_NEWNET, file: "net" },
  cgroup: { flag: CLONE_NEWCGROUP, file: "cgroup" },
  time: { flag: CLONE_NEWTIME, file: "time" },
};

/**
 * The order in which namespaces are joined with setns(): the user namespace
 * first, so that the others are joined with its privileges; pid before mount,
 * since setns into the mount namespace changes the root that /proc paths
 * resolve against.
 */
export const JOIN_ORDER: readonly NamespaceType[] = ["user", "cgroup", "ipc", "uts", "network", "pid", "time", "mount"];

export interface NamespaceEntry {
  type: NamespaceType;
  path?: string | undefined;
}

/**
 * ORs the clone flags of the namespaces that are to be created, that is, the
 * entries without a `path` (those with one are joined instead).
 */
export function getNamespaceFlags(namespaces: readonly NamespaceEntry[]): number {
  let flags = 0;
  for (const ns of namespaces) {
    if (!ns.path) flags |= namespaceList[ns.type].flag;
  }
  return flags;
}

/** Whether the config creates or joins a namespace of this type. */
export function hasNamespace(namespaces: readonly NamespaceEntry[], type: NamespaceType): boolean {
  return namespaces.some((ns) => ns.type === type);
}
