// ns recvtty: the receiving end of --console-socket, for people and tests
// (runc has a tool of the same name in contrib/cmd). It listens on a unix
// socket for the pty masters that `ns create`, `ns run -d` and `ns exec -d`
// send, and either relays one to its own stdin and stdout (single) or
// drains any number (null).
import { existsSync, unlinkSync } from "node:fs";
import { UserError } from "../errors.ts";
import { CallerTerminal, receiveConsole, TerminalRelay } from "../console/index.ts";
import { accept4, bindUnix, listen, poll, POLLIN, readSome } from "../ffi/console.ts";
import { AF_UNIX, close, fcntl, F_GETFL, F_SETFL, O_NONBLOCK, pollIn, SOCK_CLOEXEC, SOCK_STREAM, socket, SyscallError } from "../ffi/libc.ts";
import { writePidFile } from "../launcher/teardown.ts";
import { log } from "../log.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";

/** How often the socket and, in null mode, the masters are polled, in milliseconds. */
const POLL_INTERVAL_MS = 20;

export default async function recvtty(args: ParsedArgs, _globals: Globals): Promise<number> {
  const path = args.positionals.socket as string;
  const mode = (args.options.mode as string | undefined) ?? "single";
  if (mode !== "single" && mode !== "null") throw new UserError(`recvtty: --mode: expected single or null, got "${mode}"`, 2);

  const listener = listenOn(path);
  // The socket file is removed on exit. SIGINT, SIGTERM and SIGHUP get
  // handlers for that, since by default they end the process with no cleanup.
  const removeSocket = () => {
    try {
      unlinkSync(path);
    } catch {
      // Removed already.
    }
  };
  process.on("exit", removeSocket);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => process.exit(0));
  }
  if (args.options["pid-file"]) writePidFile(args.options["pid-file"] as string, process.pid);

  if (mode === "null") return drainForever(listener);

  const master = await receiveOne(listener);
  close(listener);
  removeSocket();
  const relay = new TerminalRelay(master, { terminal: CallerTerminal.find() });
  await relay.done;
  relay.close();
  return 0;
}

/** Creates the listening socket at path; an existing file is an error, never removed. */
function listenOn(path: string): number {
  if (existsSync(path)) throw new UserError(`recvtty: "${path}" already exists (remove it, or choose another path)`);
  const fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
  try {
    bindUnix(fd, path);
    listen(fd, 16, path);
  } catch (e) {
    close(fd);
    throw new UserError(`recvtty: ${(e as Error).message}`, 1, { cause: e });
  }
  return fd;
}

/**
 * Waits until fd is readable. Polled from a timer, so that signals keep
 * reaching their handlers: the event loop must run between the polls.
 */
async function readable(fd: number): Promise<void> {
  while (!pollIn(fd, 0)) await Bun.sleep(POLL_INTERVAL_MS);
}

/**
 * Accepts connections until one brings a pty master. A client that closes
 * without sending one (a runtime whose container failed to start) is skipped.
 */
async function receiveOne(listener: number): Promise<number> {
  for (;;) {
    await readable(listener);
    const connection = accept4(listener, SOCK_CLOEXEC, "console socket");
    try {
      await readable(connection);
      const got = receiveConsole(connection);
      if (got) return got.master;
      log("warn", "recvtty: a client closed the connection without sending a terminal; waiting for the next");
    } catch (e) {
      log("warn", `recvtty: ${(e as Error).message}; waiting for the next client`);
    } finally {
      close(connection);
    }
  }
}

/**
 * Accepts every client and reads and discards the output of every master,
 * so that no container blocks on a full terminal; runs until a signal. The
 * masters are non-blocking and polled, so that any number costs no threads.
 */
async function drainForever(listener: number): Promise<never> {
  const connections = new Set<number>();
  const masters = new Set<number>();
  const buffer = new Uint8Array(new ArrayBuffer(64 * 1024));
  for (;;) {
    const watched = [listener, ...connections, ...masters];
    // Blocks for POLL_INTERVAL_MS at most, so that output is read as soon as
    // it comes and a signal's handler runs soon after, when the loop yields
    // below.
    const events = poll(
      watched.map((fd) => ({ fd, events: POLLIN })),
      POLL_INTERVAL_MS,
    );
    watched.forEach((fd, i) => {
      const revents = events[i]!;
      if (revents === 0) return;
      if (fd === listener) {
        connections.add(accept4(listener, SOCK_CLOEXEC, "console socket"));
      } else if (connections.has(fd)) {
        connections.delete(fd);
        try {
          const got = receiveConsole(fd);
          if (got) {
            fcntl(got.master, F_SETFL, fcntl(got.master, F_GETFL) | O_NONBLOCK);
            masters.add(got.master);
          }
        } catch (e) {
          log("warn", `recvtty: ${(e as Error).message}`);
        }
        close(fd);
      } else if (!drain(fd, buffer)) {
        masters.delete(fd);
        close(fd);
      }
    });
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Reads a non-blocking master until it is empty; returns false once it has hung up. */
function drain(master: number, buffer: Uint8Array): boolean {
  try {
    for (;;) {
      const count = readSome(master, buffer);
      if (count < 0) return true;
      if (count === 0) return false;
    }
  } catch (e) {
    if (!(e instanceof SyscallError && e.code === "EIO")) log("warn", `recvtty: ${(e as Error).message}`);
    return false;
  }
}
