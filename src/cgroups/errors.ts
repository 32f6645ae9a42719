// Errors of the cgroup drivers. A message names the OCI field or the cgroup
// file, the value, and what to do; a failed system call stays as the cause.
import { constants } from "node:os";
import { SyscallError } from "../ffi/libc.ts";

/** A cgroup operation or resource setting that failed, with a one-line message for the user. */
export class CgroupError extends Error {
  override name = "CgroupError";
}

/** An OCI field that this host or this cgroup version cannot apply. */
export class CgroupUnsupportedError extends CgroupError {
  override name = "CgroupUnsupportedError";
}

/**
 * Turns an error thrown by node:fs into a SyscallError, which names the call,
 * the errno and the path. Other errors pass through unchanged.
 */
export function toSyscallError(error: unknown, syscall: string, target: string): unknown {
  if (error instanceof SyscallError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== "string") return error;
  const errno = (constants.errno as Record<string, number>)[code];
  if (errno === undefined) return error;
  return new SyscallError(syscall, errno, target, { cause: error });
}

/** Returns the errno name of a SyscallError or node:fs error, such as "EBUSY". */
export function errorCode(error: unknown): string | undefined {
  if (error instanceof SyscallError) return error.code;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}
