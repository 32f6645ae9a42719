// Socket calls for the rtnetlink client (src/netlink/), which src/ffi/libc.ts
// does not bind. Like libc.ts, every wrapper reads errno right after the call
// and throws a SyscallError naming the call, the errno and the target.
import { dlopen, FFIType, ptr } from "bun:ffi";
import { constants } from "node:os";
import { errno, SyscallError } from "./libc.ts";

const { i32, u32, i64_fast, ptr: P } = FFIType;

const fn = dlopen("libc.so.6", {
  socket: { args: [i32, i32, i32], returns: i32 },
  bind: { args: [i32, P, u32], returns: i32 },
  getsockname: { args: [i32, P, P], returns: i32 },
  setsockopt: { args: [i32, i32, i32, P, u32], returns: i32 },
  sendto: { args: [i32, P, i64_fast, i32, P, u32], returns: i64_fast },
  recvfrom: { args: [i32, P, i64_fast, i32, P, P], returns: i64_fast },
}).symbols;

export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const NETLINK_ROUTE = 0;

export const SOL_SOCKET = 1;
export const SO_RCVTIMEO = 20;
export const SOL_NETLINK = 270;
export const NETLINK_EXT_ACK = 11;

export const MSG_TRUNC = 0x20;

/** Size of struct sockaddr_nl: family u16, pad u16, nl_pid u32, nl_groups u32. */
const SOCKADDR_NL_SIZE = 12;

function sockaddrNl(portId: number): Uint8Array {
  const sa = new Uint8Array(new ArrayBuffer(SOCKADDR_NL_SIZE));
  const view = new DataView(sa.buffer);
  view.setUint16(0, AF_NETLINK, true);
  view.setUint32(4, portId, true);
  return sa;
}

export function socket(domain: number, type: number, protocol: number): number {
  const fd = fn.socket(domain, type, protocol);
  if (fd < 0) throw new SyscallError("socket", errno(), `AF_NETLINK protocol ${protocol}`);
  return fd;
}

/** Binds a netlink socket to a kernel-assigned port id and returns that id. */
export function bindNetlink(fd: number): number {
  const sa = sockaddrNl(0);
  if (fn.bind(fd, ptr(sa), SOCKADDR_NL_SIZE) < 0) throw new SyscallError("bind", errno(), `fd ${fd}`);

  const out = new Uint8Array(new ArrayBuffer(SOCKADDR_NL_SIZE));
  const len = new Uint32Array(new ArrayBuffer(4));
  len[0] = SOCKADDR_NL_SIZE;
  if (fn.getsockname(fd, ptr(out), ptr(len)) < 0) throw new SyscallError("getsockname", errno(), `fd ${fd}`);
  return new DataView(out.buffer).getUint32(4, true);
}

export function setsockoptInt(fd: number, level: number, name: number, value: number, label: string): void {
  const v = new Int32Array(new ArrayBuffer(4));
  v[0] = value;
  if (fn.setsockopt(fd, level, name, ptr(v), 4) < 0) throw new SyscallError("setsockopt", errno(), label);
}

/** Sets SO_RCVTIMEO, so that a receive that gets no reply fails with EAGAIN instead of blocking forever. */
export function setReceiveTimeout(fd: number, ms: number): void {
  const tv = new BigInt64Array(new ArrayBuffer(16));
  tv[0] = BigInt(Math.floor(ms / 1000));
  tv[1] = BigInt((ms % 1000) * 1000);
  if (fn.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, ptr(tv), 16) < 0) {
    throw new SyscallError("setsockopt", errno(), "SO_RCVTIMEO");
  }
}

/** Sends one datagram to the kernel (netlink port id 0), retrying EINTR. */
export function sendToKernel(fd: number, message: Uint8Array, target?: string): void {
  const sa = sockaddrNl(0);
  for (;;) {
    const r = Number(fn.sendto(fd, ptr(message), message.length, 0, ptr(sa), SOCKADDR_NL_SIZE));
    if (r >= 0) {
      if (r !== message.length) throw new SyscallError("sendto", constants.errno.EMSGSIZE, target);
      return;
    }
    const e = errno();
    if (e !== constants.errno.EINTR) throw new SyscallError("sendto", e, target);
  }
}

/**
 * Receives one datagram into buf and returns its length. With MSG_TRUNC the
 * kernel returns the full length even when buf was too small, so a result
 * larger than buf means the datagram was cut.
 */
export function recvDatagram(fd: number, buf: Uint8Array, target?: string): number {
  for (;;) {
    const r = Number(fn.recvfrom(fd, ptr(buf), buf.length, MSG_TRUNC, null, null));
    if (r >= 0) return r;
    const e = errno();
    if (e !== constants.errno.EINTR) throw new SyscallError("recvfrom", e, target);
  }
}
