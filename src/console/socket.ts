// Console sockets (--console-socket): an OCI client such as conmon listens on
// a unix socket, and the runtime sends it the pty master as SCM_RIGHTS
// ancillary data, with the master's name ("/dev/ptmx") as the message, the
// way runc does. Both sides are here: ns sends, `ns recvtty` receives.
import { statSync } from "node:fs";
import { ptr } from "bun:ffi";
import { UserError } from "../errors.ts";
import { AF_UNIX, close, connectUnix, recvmsg, sendmsg, SOCK_CLOEXEC, SOCK_STREAM, socket, SyscallError } from "../ffi/libc.ts";

const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_NOSIGNAL = 0x4000;
const MSG_CMSG_CLOEXEC = 0x40000000;
/** struct cmsghdr header: cmsg_len (8), cmsg_level (4), cmsg_type (4). */
const CMSG_HEADER = 16;
/** Room for this many fds in one message; a well-behaved sender passes one. */
const MAX_FDS = 8;

/** The message body sent with the fd, as runc sends it: the name of the master. */
const MASTER_NAME = "/dev/ptmx";

/** struct msghdr (56 bytes on x86_64) with one iovec over data and a control buffer. */
function messageHeader(data: Uint8Array, control: Uint8Array) {
  const iov = new BigUint64Array(new ArrayBuffer(16));
  iov[0] = BigInt(ptr(data) as unknown as number);
  iov[1] = BigInt(data.length);
  const header = new DataView(new ArrayBuffer(56));
  header.setBigUint64(16, BigInt(ptr(iov) as unknown as number), true);
  header.setBigUint64(24, 1n, true);
  header.setBigUint64(32, BigInt(ptr(control) as unknown as number), true);
  header.setBigUint64(40, BigInt(control.length), true);
  // The arrays go with the header so that they stay alive while C uses them.
  return { header, iov, data, control };
}

/** Turns a failed connect into the line a user can act on. */
function connectError(path: string, e: unknown): UserError {
  const option = `--console-socket ${JSON.stringify(path)}`;
  const code = e instanceof SyscallError ? e.code : undefined;
  if (code === "ENOENT") return new UserError(`${option}: no such file or directory (start the receiver, such as ns recvtty, first)`, 1, { cause: e });
  if (code === "ECONNREFUSED" || code === "ENOTSOCK") {
    let isSocket = false;
    try {
      isSocket = statSync(path).isSocket();
    } catch {
      // Gone meanwhile: report the connect error.
    }
    if (!isSocket) return new UserError(`${option}: not a unix socket`, 1, { cause: e });
    return new UserError(`${option}: connection refused (nothing is listening on it)`, 1, { cause: e });
  }
  return new UserError(`${option}: ${(e as Error).message}`, 1, { cause: e });
}

/**
 * A connection to an OCI client's console socket. ns connects before it
 * creates anything, so that a wrong path fails with nothing to undo, and
 * sends the master once the init stage has allocated it.
 */
export class ConsoleSocket {
  private fd: number;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  static connect(path: string): ConsoleSocket {
    const fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
    try {
      connectUnix(fd, path);
    } catch (e) {
      close(fd);
      throw connectError(path, e);
    }
    return new ConsoleSocket(path, fd);
  }

  /** Sends master over the socket, then closes both: ns keeps no copy of the terminal. */
  send(master: number): void {
    try {
      if (this.fd < 0) throw new Error("console socket already closed");
      const control = new Uint8Array(new ArrayBuffer(CMSG_HEADER + 8));
      const view = new DataView(control.buffer);
      view.setBigUint64(0, BigInt(CMSG_HEADER + 4), true);
      view.setInt32(8, SOL_SOCKET, true);
      view.setInt32(12, SCM_RIGHTS, true);
      view.setInt32(16, master, true);
      const message = messageHeader(Buffer.from(MASTER_NAME), control);
      try {
        sendmsg(this.fd, message.header, MSG_NOSIGNAL);
      } catch (e) {
        const code = e instanceof SyscallError ? e.code : undefined;
        if (code === "EPIPE" || code === "ECONNRESET") {
          throw new UserError(`--console-socket ${JSON.stringify(this.path)}: the receiver closed the connection before ns could send the terminal`, 1, { cause: e });
        }
        throw new UserError(`--console-socket ${JSON.stringify(this.path)}: ${(e as Error).message}`, 1, { cause: e });
      }
    } finally {
      close(master);
      this.close();
    }
  }

  close(): void {
    if (this.fd < 0) return;
    close(this.fd);
    this.fd = -1;
  }
}

/** Connects to the console socket at path, sends master and closes both (ns create). */
export function sendToConsoleSocket(path: string, master: number): void {
  let connection: ConsoleSocket;
  try {
    connection = ConsoleSocket.connect(path);
  } catch (e) {
    close(master);
    throw e;
  }
  connection.send(master);
}

/**
 * Receives one message from a console socket connection: the fd it carries
 * and its text. Returns null when the sender closed the connection without
 * sending; fds beyond the first are closed. Blocks until a message arrives.
 */
export function receiveConsole(connection: number): { master: number; name: string } | null {
  const data = new Uint8Array(new ArrayBuffer(4096));
  const control = new Uint8Array(new ArrayBuffer(CMSG_HEADER + 4 * MAX_FDS));
  const message = messageHeader(data, control);
  const count = recvmsg(connection, message.header, MSG_CMSG_CLOEXEC);
  const controlLength = Number(message.header.getBigUint64(40, true));
  const fds: number[] = [];
  const view = new DataView(control.buffer);
  if (controlLength >= CMSG_HEADER + 4 && view.getInt32(8, true) === SOL_SOCKET && view.getInt32(12, true) === SCM_RIGHTS) {
    const length = Number(view.getBigUint64(0, true));
    for (let at = CMSG_HEADER; at + 4 <= length; at += 4) fds.push(view.getInt32(at, true));
  }
  for (const extra of fds.slice(1)) close(extra);
  const master = fds[0];
  if (master === undefined) {
    if (count === 0) return null;
    throw new UserError("console socket: the client sent a message without a file descriptor");
  }
  return { master, name: Buffer.from(data.subarray(0, count)).toString() };
}
