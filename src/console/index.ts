// The launcher's side of a container's terminal: relaying it to the caller's
// terminal (foreground) or handing it to an OCI client's console socket.
import { createReadStream, writeSync } from "node:fs";
import {
  AF_UNIX,
  cfmakeraw,
  close,
  connectUnix,
  isatty,
  sendmsg,
  SOCK_CLOEXEC,
  SOCK_STREAM,
  socket,
  tcgetattr,
  tcsetattr,
  TCSANOW,
} from "../ffi/libc.ts";
import { UserError } from "../errors.ts";
import { ptr } from "bun:ffi";
import { getWindowSize, setWindowSize } from "./pty.ts";

/**
 * Sends the pty master over the unix socket at path with SCM_RIGHTS, as runc
 * does for --console-socket; the data carries the terminal's name.
 */
export function sendToConsoleSocket(path: string, master: number): void {
  const fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
  try {
    try {
      connectUnix(fd, path);
    } catch (e) {
      throw new UserError(`--console-socket: ${(e as Error).message}`, 1, { cause: e });
    }
    const name = Buffer.from("/dev/ptmx");
    const iov = new BigUint64Array(new ArrayBuffer(16));
    iov[0] = BigInt(ptr(name) as unknown as number);
    iov[1] = BigInt(name.length);
    const control = new DataView(new ArrayBuffer(24));
    control.setBigUint64(0, 20n, true);
    control.setInt32(8, 1 /* SOL_SOCKET */, true);
    control.setInt32(12, 1 /* SCM_RIGHTS */, true);
    control.setInt32(16, master, true);
    const header = new DataView(new ArrayBuffer(56));
    header.setBigUint64(16, BigInt(ptr(iov) as unknown as number), true);
    header.setBigUint64(24, 1n, true);
    header.setBigUint64(32, BigInt(ptr(control.buffer) as unknown as number), true);
    header.setBigUint64(40, 24n, true);
    try {
      sendmsg(fd, header, 0x4000 /* MSG_NOSIGNAL */);
    } catch (e) {
      throw new UserError(`--console-socket ${path}: ${(e as Error).message}`, 1, { cause: e });
    }
  } finally {
    close(fd);
    close(master);
  }
}

/**
 * Relays the container's pty and the caller's terminal both ways, with the
 * caller's terminal in raw mode until restore() and window size changes
 * copied. `done` resolves when the container side has closed.
 */
export function relayTerminal(master: number, _owner: unknown): { done: Promise<void>; restore: () => void } {
  const stdinIsTty = isatty(0);
  let saved: Uint8Array | undefined;
  if (stdinIsTty) {
    saved = tcgetattr(0);
    const raw = Uint8Array.from(saved);
    cfmakeraw(raw);
    tcsetattr(0, TCSANOW, raw);
  }
  const copySize = () => {
    const size = getWindowSize(0) ?? getWindowSize(1);
    if (size) setWindowSize(master, size[0], size[1]);
  };
  copySize();
  process.on("SIGWINCH", copySize);

  const onInput = (chunk: Buffer) => {
    try {
      writeSync(master, chunk);
    } catch {
      // The container has gone; its output side ends the relay.
    }
  };
  process.stdin.on("data", onInput);
  process.stdin.on("end", () => {
    // A closed stdin reads as end-of-file (Ctrl-D) to the container's line discipline.
    try {
      writeSync(master, Buffer.from([4]));
    } catch {
      // Gone already.
    }
  });

  const done = new Promise<void>((resolve) => {
    const output = createReadStream("", { fd: master, autoClose: false });
    output.on("data", (chunk) => process.stdout.write(chunk));
    const finish = () => resolve();
    output.on("end", finish);
    // The pty reports EIO once the last process holding its peer has exited.
    output.on("error", finish);
  });

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    process.off("SIGWINCH", copySize);
    process.stdin.off("data", onInput);
    process.stdin.pause();
    if (saved) tcsetattr(0, TCSANOW, saved);
    try {
      close(master);
    } catch {
      // Closed by the stream.
    }
  };
  return { done, restore };
}
