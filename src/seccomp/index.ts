// Compiles linux.seccomp of the OCI runtime spec into the classic BPF filter
// that ns_exec installs with seccomp(SECCOMP_SET_MODE_FILTER) right before
// execve: the filter runc builds through libseccomp, including runc's ENOSYS
// for system calls newer than the profile.
import { UserError } from "../errors.ts";
import { actionValue, ENOSYS, filterFlags, permitsUnknown, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_THREAD } from "./actions.ts";
import { filterArches } from "./arch.ts";
import { BPF_MAXINSNS, encodeProgram, type Instruction } from "./bpf.ts";
import { generateProgram } from "./codegen.ts";
import { buildRules, type SeccompConfig } from "./rules.ts";
import { runFilter } from "./verdict.ts";

export type { SeccompConfig, SeccompSyscallConfig } from "./rules.ts";
export { loadableFilter, type EncodedFilter, type LoadableFilter } from "./load.ts";
import { loadableFilter, type EncodedFilter, type LoadableFilter } from "./load.ts";


export interface SeccompProgram {
  instructions: Instruction[];
  /** SECCOMP_FILTER_FLAG_* for seccomp(2). */
  flags: number;
}

/**
 * Compiles linux.seccomp into a BPF program. A problem in the config throws a
 * UserError naming the field. warn receives what is ignored: system call
 * names that no covered architecture has, and flags that cannot apply.
 */
export function compileSeccomp(config: SeccompConfig, warn: (message: string) => void): SeccompProgram {
  const defaultAction = actionValue(config.defaultAction, config.defaultErrnoRet, {
    action: "linux.seccomp.defaultAction",
    errnoRet: "linux.seccomp.defaultErrnoRet",
  });
  const flags = filterFlags(config.flags, warn);
  const arches = filterArches(config.architectures);
  const rules = buildRules(config, arches, defaultAction, warn);

  // runc returns ENOSYS for numbers above the highest one the profile names,
  // so that a program can fall back from a system call newer than the
  // profile, unless the default action lets unknown calls through. A default
  // that returns ENOSYS already needs no such check.
  const enosys = (SECCOMP_RET_ERRNO | ENOSYS) >>> 0;
  const enosysAction = permitsUnknown(config.defaultAction) || defaultAction === enosys ? undefined : enosys;

  const instructions = generateProgram({
    defaultAction,
    // libseccomp's default for a call from an architecture the filter does not cover.
    badArchAction: SECCOMP_RET_KILL_THREAD,
    enosysAction,
    arches: rules,
  });
  if (instructions.length > BPF_MAXINSNS) {
    throw new UserError(`linux.seccomp: the filter needs ${instructions.length} BPF instructions, more than the kernel's limit of ${BPF_MAXINSNS}`);
  }
  return { instructions, flags };
}

const SECCOMP_RET_ACTION_FULL = 0xffff0000;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_RET_LOG = 0x7ffc0000;
const NR_EXECVE_X86_64 = 59;

/**
 * Arguments that execve(2) is tried with: none, pointers such as the
 * container's process passes (path, argv, envp), and every bit set.
 */
const EXECVE_ARGUMENTS: readonly (readonly bigint[])[] = [
  [0n, 0n, 0n, 0n, 0n, 0n],
  [0x7ffc_1234_5000n, 0x7ffc_1234_6000n, 0x7ffc_1234_7000n, 0n, 0n, 0n],
  Array(6).fill(0xffff_ffff_ffff_ffffn),
];

/**
 * Rejects a filter that does not let execve(2) through: the container's
 * process starts with that call under the filter, so it could never start,
 * and a filter that also denies exit leaves the runtime no way out. A rule
 * that depends on the arguments may still let the real call through. So
 * only a filter that denies every argument set tried is rejected, and the
 * others are found out at execve.
 */
function checkExecveAllowed(program: SeccompProgram): void {
  const allowed = EXECVE_ARGUMENTS.some((args) => {
    const action = (runFilter(program.instructions, { nr: NR_EXECVE_X86_64, args }) & SECCOMP_RET_ACTION_FULL) >>> 0;
    return action === SECCOMP_RET_ALLOW || action === SECCOMP_RET_LOG;
  });
  if (!allowed) {
    throw new UserError("linux.seccomp: the filter does not allow execve, so the container's process could never start");
  }
}

/**
 * Compiles linux.seccomp into the bytes of its struct sock_filter array.
 * The launcher does this while the init stage starts up, so that the
 * compile (several milliseconds for Docker's profile) costs no start-up time.
 */
export function encodeSeccomp(config: SeccompConfig, warn: (message: string) => void): EncodedFilter {
  const program = compileSeccomp(config, warn);
  checkExecveAllowed(program);
  return { filter: Buffer.from(encodeProgram(program.instructions)).toString("base64"), flags: program.flags };
}

/** Compiles linux.seccomp and lays the program out as the struct sock_fprog that seccomp(2) reads. */
export function seccompFilter(config: SeccompConfig, warn: (message: string) => void): LoadableFilter {
  return loadableFilter(encodeSeccomp(config, warn));
}
