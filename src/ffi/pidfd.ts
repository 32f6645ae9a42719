// pidfd_open(2) and pidfd_send_signal(2) (Linux 5.3, 5.1): a handle on one
// process that stays bound to it even after its pid is reused.
import { syscall, SYS } from "./libc.ts";

/** Opens a pidfd (close-on-exec by default) for pid; throws SyscallError, ESRCH when pid does not exist. */
export function pidfdOpen(pid: number): number {
  return syscall("pidfd_open", SYS.pidfd_open, `pid ${pid}`, pid, 0);
}

/** Sends sig to the process of pidfd; throws SyscallError, ESRCH once it has exited. */
export function pidfdSendSignal(pidfd: number, sig: number, target: string): void {
  syscall("pidfd_send_signal", SYS.pidfd_send_signal, target, pidfd, sig, null, 0);
}
