// Checks of `linux`: sysctls, devices, cgroup resources, seccomp, Intel RDT.
import { statSync } from "node:fs";
import { constants } from "node:os";
import { SyscallError } from "../../ffi/libc.ts";
import { parseCpuList } from "../cpulist.ts";
import { fieldPath } from "../error.ts";
import type { Spec } from "../schema.ts";
import { dottedSysctlName, invalidSysctlName, sysctlNamespace } from "../sysctl.ts";
import { fail, hasNamespace, namespaceEntry, requireAbsolute } from "./check.ts";

/**
 * Requires each sysctl to belong to a namespace that the container has apart
 * from the runtime. As in runc, a joined namespace counts as well as a new one,
 * but a joined network namespace must not be the runtime's own.
 */
export function checkSysctl(spec: Spec): void {
  for (const name of Object.keys(spec.linux?.sysctl ?? {})) {
    const field = fieldPath(["linux", "sysctl", name]);
    const invalid = invalidSysctlName(name);
    if (invalid !== undefined) fail(field, invalid);

    if (dottedSysctlName(name) === "kernel.hostname") fail(field, "conflicts with the hostname field; set that instead");
    const type = sysctlNamespace(name);
    if (type === undefined) fail(field, "not namespaced, so setting it would change the host");
    if (!hasNamespace(spec, type)) {
      fail(field, `needs the container to have its own ${type} namespace, but linux.namespaces has none`);
    }
    const path = namespaceEntry(spec, type)?.path;
    if (type === "network" && path && isRuntimeNetworkNamespace(path, field)) {
      fail(field, `needs the container to have its own network namespace, but ${JSON.stringify(path)} is the runtime's`);
    }
  }
}

function isRuntimeNetworkNamespace(path: string, field: string): boolean {
  try {
    const own = statSync("/proc/self/ns/net");
    const joined = statSync(path);
    return own.dev === joined.dev && own.ino === joined.ino;
  } catch (error) {
    const errno = (constants.errno as Record<string, number>)[(error as NodeJS.ErrnoException).code ?? ""];
    if (errno === undefined) throw error;
    return fail(field, `checking the network namespace failed: ${new SyscallError("stat", errno, path).message}`);
  }
}

export function checkDevices(spec: Spec): void {
  spec.linux?.devices?.forEach((device, i) => {
    const field = `linux.devices[${i}]`;
    requireAbsolute(device.path, `${field}.path`);
    if (device.type !== "p") {
      for (const number of ["major", "minor"] as const) {
        if (device[number] === undefined) fail(`${field}.${number}`, `required for a device of type "${device.type}"`);
      }
    }
  });
}

const UNIT_BYTES = { K: 1024n, M: 1024n ** 2n, G: 1024n ** 3n } as const;

export function checkResources(spec: Spec): void {
  const resources = spec.linux?.resources;
  if (resources === undefined) return;

  // memory.memsw.limit_in_bytes is memory plus swap; the kernel rejects a
  // total below the memory limit with EINVAL.
  const { limit, swap } = resources.memory ?? {};
  if (limit !== undefined && swap !== undefined && limit > 0n && swap > 0n && swap < limit) {
    fail("linux.resources.memory.swap", `${swap} is below memory.limit ${limit}, but swap is the total of memory and swap`);
  }

  // Huge page sizes are powers of two; runtime-tools (linux_cgroups_hugetlb) expects "3MB" to fail.
  resources.hugepageLimits?.forEach((hugepage, i) => {
    const unit = hugepage.pageSize.at(-2) as keyof typeof UNIT_BYTES;
    const bytes = BigInt(hugepage.pageSize.slice(0, -2)) * UNIT_BYTES[unit];
    if ((bytes & (bytes - 1n)) !== 0n) {
      fail(`linux.resources.hugepageLimits[${i}].pageSize`, `${JSON.stringify(hugepage.pageSize)} is not a power of two`);
    }
  });

  for (const list of ["cpus", "mems"] as const) {
    const value = resources.cpu?.[list];
    if (value === undefined) continue;
    try {
      parseCpuList(value);
    } catch (error) {
      fail(`linux.resources.cpu.${list}`, (error as Error).message);
    }
  }
}

/** A system call takes at most six arguments (seccomp_data.args[6]). */
const SYSCALL_ARGS = 6;

export function checkSeccomp(spec: Spec): void {
  const seccomp = spec.linux?.seccomp;
  if (seccomp === undefined) return;
  // libseccomp refuses SCMP_ACT_NOTIFY as the default action, and with it every
  // later call of the init stage, including the one that passes the listener
  // fd on, would wait for a listener that has no fd yet.
  if (seccomp.defaultAction === "SCMP_ACT_NOTIFY") {
    fail("linux.seccomp.defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");
  }
  let notifies = false;
  seccomp.syscalls?.forEach((syscall, i) => {
    const field = `linux.seccomp.syscalls[${i}]`;
    if (syscall.action === "SCMP_ACT_NOTIFY") notifies = true;
    syscall.names.forEach((name, j) => {
      if (name === "") fail(`${field}.names[${j}]`, "expected a system call name, got an empty string");
    });
    syscall.args?.forEach((arg, j) => {
      if (arg.index >= SYSCALL_ARGS) fail(`${field}.args[${j}].index`, `expected 0 to ${SYSCALL_ARGS - 1}, got ${arg.index}`);
    });
  });
  if (notifies && !seccomp.listenerPath) {
    fail("linux.seccomp.listenerPath", "required, because a rule uses SCMP_ACT_NOTIFY");
  }
}

/** Rejects a CLOS name that is not a plain directory name, because it becomes a directory under /sys/fs/resctrl. */
export function checkIntelRdt(spec: Spec): void {
  const closID = spec.linux?.intelRdt?.closID;
  if (closID !== undefined && (closID === "." || closID === ".." || closID.includes("/"))) {
    fail("linux.intelRdt.closID", `invalid directory name ${JSON.stringify(closID)}`);
  }
}
