// eventfd(2), which cgroup v1 uses to notify a process of memory events
// (memory.oom_control registered through cgroup.event_control).
import { constants } from "node:os";
import { read, syscall, SyscallError } from "./libc.ts";

/** eventfd2 on x86_64 (arch/x86/entry/syscalls/syscall_64.tbl); glibc's eventfd() calls it too. */
const SYS_eventfd2 = 290;

export const EFD_CLOEXEC = 0o2000000;
export const EFD_NONBLOCK = 0o4000;

/** Creates an eventfd with counter 0; throws SyscallError. */
export function eventfd(flags: number): number {
  return syscall("eventfd2", SYS_eventfd2, undefined, 0, flags);
}

/**
 * Reads and resets the counter of a non-blocking eventfd: the number of
 * signals since the last read, or 0 when there was none (EAGAIN).
 */
export function readEventfd(fd: number): bigint {
  const buffer = new Uint8Array(new ArrayBuffer(8));
  try {
    read(fd, buffer);
  } catch (error) {
    if (error instanceof SyscallError && error.errno === constants.errno.EAGAIN) return 0n;
    throw error;
  }
  return new DataView(buffer.buffer).getBigUint64(0, true);
}
