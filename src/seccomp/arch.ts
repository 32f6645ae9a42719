// The architectures a filter on an x86_64 kernel can see, and how a system
// call name becomes numbers on each. seccomp_data.arch is AUDIT_ARCH_X86_64
// for 64-bit and x32 programs and AUDIT_ARCH_I386 for 32-bit ones; x32 calls
// carry bit 30 (__X32_SYSCALL_BIT) in their number.
import { UserError } from "../errors.ts";
import { I386_SYSCALLS, X32_SYSCALLS, X86_64_SYSCALLS } from "./syscalls.ts";

export const AUDIT_ARCH_X86_64 = 0xc000_003e;
export const AUDIT_ARCH_I386 = 0x4000_0003;
export const X32_SYSCALL_BIT = 0x4000_0000;

export type ArchName = "SCMP_ARCH_X86_64" | "SCMP_ARCH_X86" | "SCMP_ARCH_X32";

export interface Arch {
  name: ArchName;
  /** The value of seccomp_data.arch. */
  audit: number;
  /**
   * The width of system call arguments as libseccomp compares them: x86 and
   * x32 compare only the low 32 bits of each argument.
   */
  width: 32 | 64;
  syscalls: ReadonlyMap<string, number>;
}

const tables = {
  SCMP_ARCH_X86_64: new Map(Object.entries(X86_64_SYSCALLS)),
  SCMP_ARCH_X86: new Map(Object.entries(I386_SYSCALLS)),
  SCMP_ARCH_X32: new Map(Object.entries(X32_SYSCALLS)),
};

export const ARCHES: Readonly<Record<ArchName, Arch>> = {
  SCMP_ARCH_X86_64: { name: "SCMP_ARCH_X86_64", audit: AUDIT_ARCH_X86_64, width: 64, syscalls: tables.SCMP_ARCH_X86_64 },
  SCMP_ARCH_X86: { name: "SCMP_ARCH_X86", audit: AUDIT_ARCH_I386, width: 32, syscalls: tables.SCMP_ARCH_X86 },
  SCMP_ARCH_X32: { name: "SCMP_ARCH_X32", audit: AUDIT_ARCH_X86_64, width: 32, syscalls: tables.SCMP_ARCH_X32 },
};

/** Architectures of the OCI spec that an x86_64 kernel never reports in seccomp_data.arch. */
const FOREIGN_ARCHES = new Set([
  "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_MIPS",
  "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
  "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
  "SCMP_ARCH_SH", "SCMP_ARCH_SHEB", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
]);

/**
 * Lists the architectures the filter covers: the native one always (libseccomp's
 * seccomp_init adds it), then those listed. Architectures of other CPUs are
 * left out because this kernel never runs their code, so their part of a
 * filter could never match.
 */
export function filterArches(listed: readonly string[] | undefined): Arch[] {
  if (process.arch !== "x64") throw new UserError(`linux.seccomp: not supported on ${process.arch}; ns builds filters for x86_64 only`);
  const arches: Arch[] = [ARCHES.SCMP_ARCH_X86_64];
  (listed ?? []).forEach((name, i) => {
    if (name === "SCMP_ARCH_X86" || name === "SCMP_ARCH_X32") {
      if (!arches.includes(ARCHES[name])) arches.push(ARCHES[name]);
    } else if (name !== "SCMP_ARCH_X86_64" && !FOREIGN_ARCHES.has(name)) {
      throw new UserError(`linux.seccomp.architectures[${i}]: unknown architecture ${JSON.stringify(name)}`);
    }
  });
  return arches;
}

// i386 reaches the socket and System V IPC calls through socketcall(2) and
// ipc(2), whose first argument selects the call (linux/net.h SYS_*, and
// linux/ipc.h). Since Linux 4.3 and 5.1 most also have numbers of their own.
const SOCKETCALL_CALLS: ReadonlyMap<string, number> = new Map([
  ["socket", 1], ["bind", 2], ["connect", 3], ["listen", 4], ["accept", 5], ["getsockname", 6],
  ["getpeername", 7], ["socketpair", 8], ["send", 9], ["recv", 10], ["sendto", 11], ["recvfrom", 12],
  ["shutdown", 13], ["setsockopt", 14], ["getsockopt", 15], ["sendmsg", 16], ["recvmsg", 17],
  ["accept4", 18], ["recvmmsg", 19], ["sendmmsg", 20],
]);
const IPC_CALLS: ReadonlyMap<string, number> = new Map([
  ["semop", 1], ["semget", 2], ["semctl", 3], ["semtimedop", 4], ["msgsnd", 11], ["msgrcv", 12],
  ["msgget", 13], ["msgctl", 14], ["shmat", 21], ["shmdt", 22], ["shmget", 23], ["shmctl", 24],
]);

/** The numbers of one system call name on one architecture. */
export interface Resolved {
  /** The call's own number. */
  direct?: number | undefined;
  /** The multiplexer (socketcall or ipc) and the value of its first argument that selects the call. */
  multiplexed?: { nr: number; call: number } | undefined;
}

/** Resolves a system call name on arch; undefined when the architecture has no such call. */
export function resolveSyscall(arch: Arch, name: string): Resolved | undefined {
  const direct = arch.syscalls.get(name);
  let multiplexed: Resolved["multiplexed"];
  if (arch.name === "SCMP_ARCH_X86") {
    const socketcall = SOCKETCALL_CALLS.get(name);
    const ipc = IPC_CALLS.get(name);
    if (socketcall !== undefined) multiplexed = { nr: arch.syscalls.get("socketcall")!, call: socketcall };
    else if (ipc !== undefined) multiplexed = { nr: arch.syscalls.get("ipc")!, call: ipc };
  }
  if (direct === undefined && multiplexed === undefined) return undefined;
  return { direct, multiplexed };
}
