// Calls for terminals and console sockets (src/console/) that src/ffi/libc.ts
// does not bind: a listening unix socket, poll on several fds for either
// direction, and read/write that report EAGAIN instead of throwing. Like
// libc.ts, every wrapper reads errno right after the call and throws a
// SyscallError naming the call, the errno and the target.
import { dlopen, FFIType, ptr } from "bun:ffi";
import { constants } from "node:os";
import { AF_UNIX, errno, SyscallError } from "./libc.ts";

const { i32, u32, u64, i64_fast, ptr: P } = FFIType;

const fn = dlopen("libc.so.6", {
  bind: { args: [i32, P, u32], returns: i32 },
  listen: { args: [i32, i32], returns: i32 },
  accept4: { args: [i32, P, P, i32], returns: i32 },
  poll: { args: [P, u64, i32], returns: i32 },
  read: { args: [i32, P, u64], returns: i64_fast },
  write: { args: [i32, P, u64], returns: i64_fast },
  getpgrp: { args: [], returns: i32 },
}).symbols;

const { EAGAIN, EINTR, ENAMETOOLONG } = constants.errno;

export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;

/** struct sockaddr_un for path: family, then the NUL-terminated path (108 bytes at most). */
function sockaddrUnix(path: string): { addr: Uint8Array; length: number } {
  const name = Buffer.from(path);
  if (name.length >= 108) throw new SyscallError("bind", ENAMETOOLONG, path);
  const addr = new Uint8Array(new ArrayBuffer(110));
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(name, 2);
  return { addr, length: 2 + name.length + 1 };
}

/** Binds fd to a new unix socket file at path. */
export function bindUnix(fd: number, path: string): void {
  const { addr, length } = sockaddrUnix(path);
  if (fn.bind(fd, ptr(addr), length) < 0) throw new SyscallError("bind", errno(), path);
}

export function listen(fd: number, backlog: number, target?: string): void {
  if (fn.listen(fd, backlog) < 0) throw new SyscallError("listen", errno(), target ?? `fd ${fd}`);
}

/** Accepts a connection on a listening socket; flags are SOCK_CLOEXEC and SOCK_NONBLOCK. Retries EINTR. */
export function accept4(fd: number, flags: number, target?: string): number {
  for (;;) {
    const r = fn.accept4(fd, null, null, flags);
    if (r >= 0) return r;
    const e = errno();
    if (e !== EINTR) throw new SyscallError("accept4", e, target ?? `fd ${fd}`);
  }
}

/**
 * Waits for events on fds (POLLIN, POLLOUT) for at most timeoutMs (-1 waits
 * without limit) and returns the revents of each, in order. Retries EINTR.
 */
export function poll(fds: readonly { fd: number; events: number }[], timeoutMs: number): number[] {
  // struct pollfd: int fd, short events, short revents.
  const table = new DataView(new ArrayBuffer(8 * Math.max(1, fds.length)));
  fds.forEach((entry, i) => {
    table.setInt32(8 * i, entry.fd, true);
    table.setInt16(8 * i + 4, entry.events, true);
  });
  for (;;) {
    const r = fn.poll(ptr(table), BigInt(fds.length), timeoutMs);
    if (r >= 0) break;
    const e = errno();
    if (e !== EINTR) throw new SyscallError("poll", e, fds.map((entry) => `fd ${entry.fd}`).join(", "));
  }
  return fds.map((_, i) => table.getInt16(8 * i + 6, true));
}

/** Returns the process group of the calling process. */
export function getpgrp(): number {
  return fn.getpgrp();
}

/** Reads up to buf.length bytes; returns the count, 0 at end of file, or -1 for EAGAIN. Retries EINTR. */
export function readSome(fd: number, buf: Uint8Array): number {
  for (;;) {
    const r = Number(fn.read(fd, ptr(buf), buf.length));
    if (r >= 0) return r;
    const e = errno();
    if (e === EAGAIN) return -1;
    if (e !== EINTR) throw new SyscallError("read", e, `fd ${fd}`);
  }
}

/** Writes buf with one write(); returns the count written, or 0 for EAGAIN on a non-blocking fd. Retries EINTR. */
export function writeSome(fd: number, buf: Uint8Array): number {
  if (buf.length === 0) return 0;
  for (;;) {
    const r = Number(fn.write(fd, ptr(buf), buf.length));
    if (r >= 0) return r;
    const e = errno();
    if (e === EAGAIN) return 0;
    if (e !== EINTR) throw new SyscallError("write", e, `fd ${fd}`);
  }
}
