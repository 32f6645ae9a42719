// The values a seccomp filter returns (SECCOMP_RET_*, linux/seccomp.h) for the
// OCI actions, and the filter flags passed to seccomp(2).
import { UserError } from "../errors.ts";

export const SECCOMP_RET_KILL_PROCESS = 0x8000_0000;
export const SECCOMP_RET_KILL_THREAD = 0x0000_0000;
export const SECCOMP_RET_TRAP = 0x0003_0000;
export const SECCOMP_RET_ERRNO = 0x0005_0000;
export const SECCOMP_RET_TRACE = 0x7ff0_0000;
export const SECCOMP_RET_LOG = 0x7ffc_0000;
export const SECCOMP_RET_ALLOW = 0x7fff_0000;
/** The low 16 bits of a return value: the errno of SECCOMP_RET_ERRNO, the message of SECCOMP_RET_TRACE. */
export const SECCOMP_RET_DATA = 0x0000_ffff;

export const SECCOMP_FILTER_FLAG_LOG = 1 << 1;
export const SECCOMP_FILTER_FLAG_SPEC_ALLOW = 1 << 2;
export const SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 1 << 5;

export const EPERM = 1;
export const ENOSYS = 38;

/**
 * The filter's return value for an OCI action. errnoRet is the errno of
 * SCMP_ACT_ERRNO and the message of SCMP_ACT_TRACE (EPERM when absent, as in
 * runc); the other actions ignore it. fields are the config paths of both,
 * for messages.
 */
export function actionValue(action: string, errnoRet: number | undefined, fields: { action: string; errnoRet: string }): number {
  switch (action) {
    case "SCMP_ACT_KILL":
    case "SCMP_ACT_KILL_THREAD":
      return SECCOMP_RET_KILL_THREAD;
    case "SCMP_ACT_KILL_PROCESS":
      return SECCOMP_RET_KILL_PROCESS;
    case "SCMP_ACT_TRAP":
      return SECCOMP_RET_TRAP;
    case "SCMP_ACT_ERRNO":
      return (SECCOMP_RET_ERRNO | returnData(errnoRet, fields.errnoRet)) >>> 0;
    case "SCMP_ACT_TRACE":
      return (SECCOMP_RET_TRACE | returnData(errnoRet, fields.errnoRet)) >>> 0;
    case "SCMP_ACT_LOG":
      return SECCOMP_RET_LOG;
    case "SCMP_ACT_ALLOW":
      return SECCOMP_RET_ALLOW;
    case "SCMP_ACT_NOTIFY":
      // A notifying filter needs a listener fd sent to the agent at
      // listenerPath, which ns does not implement.
      throw new UserError(`${fields.action}: SCMP_ACT_NOTIFY is not supported (ns has no seccomp notification listener for linux.seccomp.listenerPath)`);
    default:
      throw new UserError(`${fields.action}: unknown seccomp action ${JSON.stringify(action)}`);
  }
}

function returnData(errnoRet: number | undefined, field: string): number {
  if (errnoRet === undefined) return EPERM;
  // The kernel caps an errno above 4095 (MAX_ERRNO) at 4095, but the return
  // value has only 16 bits for it.
  if (!Number.isInteger(errnoRet) || errnoRet < 0 || errnoRet > SECCOMP_RET_DATA) {
    throw new UserError(`${field}: expected 0 to ${SECCOMP_RET_DATA}, got ${errnoRet}`);
  }
  return errnoRet;
}

/** Returns true when a default action lets unknown system calls run, so that they need no ENOSYS (runc's rule). */
export function permitsUnknown(action: string): boolean {
  return action === "SCMP_ACT_ALLOW" || action === "SCMP_ACT_LOG" || action === "SCMP_ACT_TRACE";
}

/**
 * Computes the flags for seccomp(SECCOMP_SET_MODE_FILTER). Without a `flags` member
 * runc sets SECCOMP_FILTER_FLAG_SPEC_ALLOW, and so does ns; an empty list
 * sets none.
 */
export function filterFlags(flags: readonly string[] | undefined, warn: (message: string) => void): number {
  if (flags === undefined) return SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  let value = 0;
  flags.forEach((flag, i) => {
    switch (flag) {
      case "SECCOMP_FILTER_FLAG_TSYNC":
        // The filter is installed by the thread that executes the container
        // process, and execve ends the other threads, so there is nothing to
        // synchronize.
        break;
      case "SECCOMP_FILTER_FLAG_LOG":
        value |= SECCOMP_FILTER_FLAG_LOG;
        break;
      case "SECCOMP_FILTER_FLAG_SPEC_ALLOW":
        value |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
        break;
      case "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV":
        // The kernel (5.19 and later) rejects this flag with EINVAL unless
        // SECCOMP_FILTER_FLAG_NEW_LISTENER is set too, and ns sets up no listener.
        warn(`linux.seccomp.flags[${i}]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV applies only to SCMP_ACT_NOTIFY, which ns does not support; left out`);
        break;
      default:
        throw new UserError(`linux.seccomp.flags[${i}]: unknown seccomp flag ${JSON.stringify(flag)}`);
    }
  });
  return value;
}
