// The sync pipe between the launcher and the init stage: a unix stream
// socketpair carrying frames of a 32-bit little-endian length followed by
// JSON, with an optional fd passed alongside (SCM_RIGHTS). Both ends use
// blocking calls: each side has nothing else to do while it waits, and a
// Bun stream would drop passed fds.
import { ptr } from "bun:ffi";
import { parseJson, stringifyJson } from "./config/json.ts";
import { close, pollIn, recvmsg, sendmsg, SyscallError } from "./ffi/libc.ts";

/** Messages from the launcher to the init stage. */
export type ParentMessage =
  /** Everything the init stage needs: sent once, right after the go-ahead byte. */
  | { type: "config"; config: InitConfig }
  /** The prestart and createRuntime hooks have run; continue towards pivot_root. */
  | { type: "hooksDone" }
  /** Execute the container process now (`ns run`; `ns start` uses the exec fifo). */
  | { type: "start" }
  /** `ns create` has recorded the container and returns: wait on the exec fifo for `ns start`. */
  | { type: "detach" };

/** Messages from the init stage (and the C trampoline) to the launcher. */
export type ChildMessage =
  /** The C trampoline's pid of the real child, when namespaces are joined by path. */
  | { type: "pid"; pid: number }
  /** A step failed; `errno` is set when a system call failed. */
  | { type: "error"; step: string; errno?: number; message?: string; exitCode?: number }
  /** A log line for the launcher's log. */
  | { type: "log"; level: "error" | "warn" | "info" | "debug"; message: string; step?: string }
  /** Namespaces and mounts exist; run the prestart and createRuntime hooks. */
  | { type: "hooks" }
  /** The pty master is attached to this message. */
  | { type: "console" }
  /** Set-up is complete; the init stage waits for start just before execve. */
  | { type: "created" };

export type Message = ParentMessage | ChildMessage;

/** What the launcher sends the init stage (opaque to this module). */
export type InitConfig = Record<string, unknown>;

const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MAX_FRAME = 64 << 20;

/** One end of the sync socket. */
export class SyncPipe {
  constructor(readonly fd: number) {}

  /** Sends a message, with fd attached when given. */
  send(message: Message, fd?: number): void {
    const body = Buffer.from(stringifyJson(message, ""));
    const frame = Buffer.alloc(4 + body.length);
    frame.writeUInt32LE(body.length, 0);
    body.copy(frame, 4);
    if (fd === undefined) {
      sendAll(this.fd, frame);
      return;
    }
    // The fd travels with the first bytes; the rest follows as plain data.
    const msg = msghdr(frame, 0, frame.length, fd);
    const sent = sendmsg(this.fd, msg.header, MSG_NOSIGNAL);
    if (sent < frame.length) sendAll(this.fd, frame.subarray(sent));
  }

  /** Sends the single go-ahead byte the C trampoline waits for. */
  sendGo(): void {
    sendAll(this.fd, Buffer.from([1]));
  }

  /**
   * Receives the next message, or null at EOF (the other end closed, which
   * is how a successful execve shows). Throws on timeout.
   */
  receive(timeoutMs = -1): { message: Message; fd?: number } | null {
    if (timeoutMs >= 0 && !pollIn(this.fd, timeoutMs)) {
      throw new Error(`timed out after ${timeoutMs} ms waiting on the sync pipe`);
    }
    const head = Buffer.alloc(4);
    let first: { count: number; fd?: number };
    try {
      first = recvWithFd(this.fd, head, 0, 4);
    } catch (e) {
      // A peer that closes with data it never read resets the connection:
      // for the sync pipe that is the same as EOF.
      if (e instanceof SyscallError && e.code === "ECONNRESET") return null;
      throw e;
    }
    if (first.count === 0) return null;
    readFully(this.fd, head, first.count, 4);
    const length = head.readUInt32LE(0);
    if (length > MAX_FRAME) throw new Error(`sync frame of ${length} bytes is too large`);
    const body = Buffer.alloc(length);
    readFully(this.fd, body, 0, length);
    const message = parseJson(body.toString()) as Message;
    return first.fd === undefined ? { message } : { message, fd: first.fd };
  }

  /** Receives the next message and checks its type; EOF or another type is an error. */
  expect<T extends Message["type"]>(type: T, timeoutMs = -1): Extract<Message, { type: T }> {
    const got = this.receive(timeoutMs);
    if (got === null) throw new Error(`sync pipe closed while waiting for "${type}"`);
    if (got.message.type !== type) {
      throw new Error(`sync pipe: expected "${type}", got "${got.message.type}"`);
    }
    return got.message as Extract<Message, { type: T }>;
  }

  close(): void {
    close(this.fd);
  }
}

function sendAll(fd: number, data: Buffer): void {
  let done = 0;
  while (done < data.length) {
    const msg = msghdr(data, done, data.length - done);
    done += sendmsg(fd, msg.header, MSG_NOSIGNAL);
  }
}

const MSG_NOSIGNAL = 0x4000;
const MSG_CMSG_CLOEXEC = 0x40000000;

function readFully(fd: number, buf: Buffer, from: number, to: number): void {
  let at = from;
  while (at < to) {
    const got = recvWithFd(fd, buf, at, to - at);
    if (got.count === 0) throw new SyscallError("recvmsg", 104 /* ECONNRESET */, `sync fd ${fd}: truncated frame`);
    if (got.fd !== undefined) close(got.fd);
    at += got.count;
  }
}

/** struct msghdr (56 bytes) with one iovec and room for one SCM_RIGHTS fd. */
function msghdr(buf: Buffer, offset: number, length: number, fd?: number) {
  const iov = new BigUint64Array(new ArrayBuffer(16));
  iov[0] = BigInt(ptr(buf, offset) as unknown as number);
  iov[1] = BigInt(length);
  // cmsghdr: length (8), level (4), type (4), then the int, padded to 8.
  const controlBuffer = new ArrayBuffer(24);
  const control = new DataView(controlBuffer);
  const headerBuffer = new ArrayBuffer(56);
  const header = new DataView(headerBuffer);
  header.setBigUint64(16, BigInt(ptr(iov) as unknown as number), true);
  header.setBigUint64(24, 1n, true);
  header.setBigUint64(32, BigInt(ptr(controlBuffer) as unknown as number), true);
  if (fd !== undefined) {
    control.setBigUint64(0, 20n, true);
    control.setInt32(8, SOL_SOCKET, true);
    control.setInt32(12, SCM_RIGHTS, true);
    control.setInt32(16, fd, true);
    header.setBigUint64(40, 24n, true);
  }
  return { header, headerBuffer, iov, control, controlBuffer, buf };
}

function recvWithFd(fd: number, buf: Buffer, offset: number, length: number): { count: number; fd?: number } {
  const msg = msghdr(buf, offset, length);
  msg.header.setBigUint64(40, 24n, true);
  const count = recvmsg(fd, msg.header, MSG_CMSG_CLOEXEC);
  const controlLength = Number(msg.header.getBigUint64(40, true));
  if (controlLength >= 20 && msg.control.getInt32(8, true) === SOL_SOCKET && msg.control.getInt32(12, true) === SCM_RIGHTS) {
    return { count, fd: msg.control.getInt32(16, true) };
  }
  return { count };
}
