// Schema of `linux.seccomp` (OCI runtime-spec config-linux.md, "Seccomp").
// Actions, architectures, flags and operators are the union of those in
// runtime-spec 1.0.0 to 1.2.1; any other value is an error.
import * as v from "valibot";
import { object, oneOf, uint32, uint64 } from "./types.ts";

export const SECCOMP_ACTIONS = [
  "SCMP_ACT_KILL",
  "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_TRAP",
  "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE",
  "SCMP_ACT_ALLOW",
  "SCMP_ACT_LOG",
  "SCMP_ACT_NOTIFY",
] as const;

export const SECCOMP_ARCHITECTURES = [
  "SCMP_ARCH_X86",
  "SCMP_ARCH_X86_64",
  "SCMP_ARCH_X32",
  "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K",
  "SCMP_ARCH_MIPS",
  "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",
  "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32",
  "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE",
  "SCMP_ARCH_S390",
  "SCMP_ARCH_S390X",
  "SCMP_ARCH_SH",
  "SCMP_ARCH_SHEB",
  "SCMP_ARCH_PARISC",
  "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_RISCV64",
] as const;

export const SECCOMP_FLAGS = [
  "SECCOMP_FILTER_FLAG_TSYNC",
  "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
] as const;

export const SECCOMP_OPERATORS = [
  "SCMP_CMP_NE",
  "SCMP_CMP_LT",
  "SCMP_CMP_LE",
  "SCMP_CMP_EQ",
  "SCMP_CMP_GE",
  "SCMP_CMP_GT",
  "SCMP_CMP_MASKED_EQ",
] as const;

const action = oneOf(SECCOMP_ACTIONS, "seccomp action");

export const syscallArgSchema = object({
  index: uint32,
  value: uint64,
  // Go's encoding/json leaves an absent valueTwo at 0; only SCMP_CMP_MASKED_EQ reads it.
  valueTwo: v.optional(uint64, 0),
  op: oneOf(SECCOMP_OPERATORS, "seccomp operator"),
});

export const syscallSchema = object({
  names: v.pipe(
    v.array(v.string()),
    v.minLength(1, "expected at least one system call name"),
  ),
  action,
  errnoRet: v.optional(uint32),
  args: v.optional(v.array(syscallArgSchema)),
});

export const seccompSchema = object({
  defaultAction: action,
  defaultErrnoRet: v.optional(uint32),
  architectures: v.optional(v.array(oneOf(SECCOMP_ARCHITECTURES, "seccomp architecture"))),
  flags: v.optional(v.array(oneOf(SECCOMP_FLAGS, "seccomp flag"))),
  listenerPath: v.optional(v.string()),
  listenerMetadata: v.optional(v.string()),
  syscalls: v.optional(v.array(syscallSchema)),
});
