// --preserve-fds N of run, create and exec: the caller's fds 3 .. 3+N-1 pass
// to the container process.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { UserError } from "../errors.ts";
import { F_GETFD, fcntl, SyscallError } from "../ffi/libc.ts";

/**
 * Returns the number of fds that --preserve-fds passes on, 0 when the option
 * is absent. Throws UserError (exit code 2) for a negative N, and for an fd
 * in 3 .. 3+N-1 that the caller did not pass to ns: one that is not open, or
 * one of Bun's own. Bun opens its event loop's epoll and eventfd at start-up
 * in the lowest free numbers, so they fill the first gap in the caller's fds
 * and would otherwise reach the container.
 */
export function preserveFdsOption(value: number | undefined): number {
  if (value === undefined || value === 0) return 0;
  if (value < 0) throw new UserError(`--preserve-fds ${value}: expected 0 or more`, 2);
  const own = eventLoopFds();
  for (let fd = 3; fd < 3 + value; fd++) {
    if (!isOpen(fd) || own.has(fd)) {
      const range = value === 1 ? "fd 3" : `fds 3 to ${2 + value}`;
      throw new UserError(`--preserve-fds ${value}: fd ${fd} was not passed to ns (${range} must be open in the calling process)`, 2);
    }
  }
  return value;
}

function isOpen(fd: number): boolean {
  try {
    fcntl(fd, F_GETFD);
    return true;
  } catch (e) {
    if (e instanceof SyscallError && e.code === "EBADF") return false;
    throw e;
  }
}

/**
 * Finds Bun's event loop: an epoll fd that watches an eventfd of this
 * process (its wake-up fd), and that eventfd. FD_CLOEXEC cannot tell them
 * from inherited fds, because Bun marks every fd from 4 up close-on-exec at
 * start-up (close_range with CLOSE_RANGE_CLOEXEC, Bun 1.4.4).
 * NOTE: an epoll fd that the caller passed, together with an eventfd it
 * watches under the same number, would be taken for Bun's.
 */
function eventLoopFds(): Set<number> {
  const link = (fd: number | string) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return "";
    }
  };
  const own = new Set<number>();
  for (const entry of readdirSync("/proc/self/fd")) {
    if (link(entry) !== "anon_inode:[eventpoll]") continue;
    let info: string;
    try {
      info = readFileSync(`/proc/self/fdinfo/${entry}`, "utf8");
    } catch {
      continue;
    }
    for (const match of info.matchAll(/^tfd:\s*(\d+)/gm)) {
      const watched = Number(match[1]);
      if (link(watched) === "anon_inode:[eventfd]") {
        own.add(Number(entry));
        own.add(watched);
      }
    }
  }
  return own;
}
