// `linux.sysctl` names: their two spellings, their file under /proc/sys, and
// the namespace that each must belong to for the write to stay inside the
// container. The rules follow runc 1.3's validator: /proc/sys is only partly
// namespaced, so any name outside the lists below would change the host.

/** The namespace type that makes a sysctl private to the container. */
export type SysctlNamespace = "ipc" | "network" | "uts" | "user";

// kernel/ipc_sysctl.c: the System V IPC limits that live in the IPC namespace.
const IPC_SYSCTLS = new Set([
  "kernel.msgmax",
  "kernel.msgmnb",
  "kernel.msgmni",
  "kernel.sem",
  "kernel.shmall",
  "kernel.shmmax",
  "kernel.shmmni",
  "kernel.shm_rmid_forced",
]);

/**
 * Converts a sysctl name to the dotted spelling. sysctl(8) also accepts "/" as
 * the separator, and then a "." inside a component (an interface name such as
 * "eno2.100") is written as "/" in the dotted form, so the two characters swap.
 */
export function dottedSysctlName(name: string): string {
  const first = name.search(/[./]/);
  if (first === -1 || name[first] === ".") return name;
  return name.replace(/[./]/g, (c) => (c === "." ? "/" : "."));
}

/** Returns the file under /proc/sys for a sysctl name in either spelling: `net.ipv4.ip_forward` → `net/ipv4/ip_forward`. */
export function sysctlFile(name: string): string {
  return dottedSysctlName(name).replace(/[./]/g, (c) => (c === "." ? "/" : "."));
}

/** Explains why a sysctl name cannot name a file under /proc/sys, or returns undefined if it can. */
export function invalidSysctlName(name: string): string | undefined {
  if (name === "") return "empty sysctl name";
  if (name.includes("\0")) return "sysctl name contains a NUL byte";
  const parts = sysctlFile(name).split("/");
  if (parts.some((part) => part === "" || part === "." || part === "..")) {
    return `invalid sysctl name ${JSON.stringify(name)} (each component must be a non-empty name other than "." and "..")`;
  }
  return undefined;
}

/**
 * Returns the namespace a sysctl belongs to, or undefined for one that is
 * global to the host. `kernel.hostname` is left out on purpose, because the
 * `hostname` field sets it.
 */
export function sysctlNamespace(name: string): SysctlNamespace | undefined {
  const dotted = dottedSysctlName(name);
  if (IPC_SYSCTLS.has(dotted) || dotted.startsWith("fs.mqueue.")) return "ipc";
  if (dotted.startsWith("net.")) return "network";
  if (dotted === "kernel.domainname") return "uts";
  // user.max_*_namespaces and the other ucounts limits are per user namespace.
  if (dotted.startsWith("user.")) return "user";
  return undefined;
}
