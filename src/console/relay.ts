// Relaying a container's pty to the caller: stdin to the master, the master
// to stdout, the caller's terminal in raw mode and its window size copied.
//
// Bun gives a pty master no readiness API (Bun.file().stream() fails with
// ESPIPE), so the master is read by fs.createReadStream, whose blocking
// read() runs on a pool thread. Three consequences shape this file:
// - Writes to the master must never block the main thread: a container that
//   stops reading its input while its output fills up would otherwise
//   deadlock with us. They are made non-blocking by setting O_NONBLOCK for
//   the length of one write(). A pool read that starts inside that window
//   fails with EAGAIN, and the reader is then simply started again.
// - A pending read keeps the process alive until it returns. It returns EIO
//   once every process holding the peer has closed it; when we stop before
//   that (a background process of `ns exec` still holds it), one byte written
//   through a fresh peer fd wakes it.
// - Each reader gets its own dup of the master, with autoClose, because Bun
//   1.4.4's ReadStream closes its fd on destroy() even with autoClose: false.
//   Closing the master as well would then close whatever fd took its number.
//
// When the caller's side goes away (its terminal hangs up, or the pipe on
// stdout closes), the relay closes, which hangs up the container's pty too.
// The container's process may ignore SIGHUP (as pid 1 it ignores every
// signal without a handler), but it reads end of file from a hung-up pty.
import { createReadStream, type ReadStream } from "node:fs";
import { close, fcntl, F_DUPFD_CLOEXEC, F_GETFL, F_SETFL, O_CLOEXEC, O_NOCTTY, O_NONBLOCK, O_RDWR } from "../ffi/libc.ts";
import { poll, POLLERR, POLLHUP, POLLOUT, writeSome } from "../ffi/console.ts";
import { log } from "../log.ts";
import type { CallerTerminal } from "./caller.ts";
import { eofCharacter, openPeer, restartOutput, setWindowSize } from "./pty.ts";

export interface RelayOptions {
  /** The caller's terminal: raw mode while relaying, and the window size to copy. */
  terminal?: CallerTerminal | undefined;
  /** The fd that receives the container's output (default 1, stdout). */
  output?: number | undefined;
}

/** Delay before input the master did not take is written again, in milliseconds. */
const INPUT_RETRY_MS = 10;
/** Pending input, in bytes, above which stdin is paused until the master takes it. */
const INPUT_HIGH_WATER = 64 * 1024;
/**
 * Interval between checks that the caller's terminal is still there, in
 * milliseconds. Reading stdin notices a hangup at once when stdin is the
 * terminal; this covers a terminal that is only the output.
 */
const CALLER_CHECK_MS = 1000;

/**
 * Relays one pty master until close(). The relay owns master from the
 * constructor on, and closes it also when the constructor throws.
 */
export class TerminalRelay {
  /**
   * Resolves once relaying has ended: the pty has hung up (no process has
   * its peer open any more), the caller's side has gone, or close() ran.
   */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private hungUp = false;
  private closed = false;
  private reader: ReadStream | undefined;
  private readerDone = true;
  private lastOutput = performance.now();
  private readonly output: number;
  private callerCheck: ReturnType<typeof setInterval> | undefined;
  private pendingInput: Uint8Array[] = [];
  private pendingBytes = 0;
  private inputTimer: ReturnType<typeof setTimeout> | undefined;
  private inputPaused = false;

  constructor(
    readonly master: number,
    private readonly options: RelayOptions = {},
  ) {
    this.output = options.output ?? 1;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));

    try {
      options.terminal?.makeRaw();
      this.startReader();
    } catch (e) {
      options.terminal?.restore();
      closeQuietly(master);
      throw e;
    }
    // Registered right after raw mode, so that ns restores the terminal on
    // every exit path (SIGKILL aside, which nothing can catch).
    process.on("exit", this.onExit);

    this.copyWindowSize();
    process.on("SIGWINCH", this.copyWindowSize);

    process.stdin.on("data", this.onInput);
    process.stdin.on("end", this.onInputEnd);
    process.stdin.on("error", this.onInputError);

    if (options.terminal) {
      this.callerCheck = setInterval(this.checkCaller, CALLER_CHECK_MS);
      // The check alone must not keep ns running.
      this.callerCheck.unref();
    }
  }

  /**
   * Waits for the pty to hang up after the container process has exited,
   * then closes. Processes it left behind may hold the peer for ever, so the
   * wait ends once the output has been quiet for quietMs, and after maxMs
   * in any case.
   */
  async finish(quietMs = 100, maxMs = 1000): Promise<void> {
    const start = performance.now();
    while (!this.hungUp && !this.closed) {
      const now = performance.now();
      const quietSince = Math.max(this.lastOutput, start);
      if (now - quietSince >= quietMs || now - start >= maxMs) break;
      await Promise.race([this.done, Bun.sleep(Math.min(quietMs, 20))]);
    }
    this.close();
  }

  /**
   * Stops relaying, restores the caller's terminal and closes the master.
   * Safe to call more than once.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    process.off("exit", this.onExit);
    process.off("SIGWINCH", this.copyWindowSize);
    process.stdin.off("data", this.onInput);
    process.stdin.off("end", this.onInputEnd);
    process.stdin.off("error", this.onInputError);
    process.stdin.pause();
    if (this.inputTimer) clearTimeout(this.inputTimer);
    if (this.callerCheck) clearInterval(this.callerCheck);
    this.pendingInput = [];
    this.options.terminal?.restore();

    const reader = this.reader;
    this.reader = undefined;
    if (reader && !this.readerDone) {
      // The stream closes its own fd; a read still pending keeps the pty
      // open until the byte from wakeReader() ends it.
      reader.destroy();
      this.wakeReader();
    }
    closeQuietly(this.master);
    this.resolveDone();
  }

  private readonly onExit = () => {
    this.options.terminal?.restore();
  };

  private readonly copyWindowSize = () => {
    const size = this.options.terminal?.windowSize();
    if (!size) return;
    try {
      setWindowSize(this.master, size[0], size[1]);
    } catch {
      // The pty has hung up; the reader reports it.
    }
  };

  private startReader(): void {
    if (this.closed) return;
    const fd = fcntl(this.master, F_DUPFD_CLOEXEC, 3);
    const reader = createReadStream("", { fd, autoClose: true, highWaterMark: 64 * 1024 });
    this.reader = reader;
    this.readerDone = false;
    reader.on("data", (chunk) => this.onOutput(chunk as Buffer));
    reader.on("end", () => this.onReaderEnd(reader, undefined));
    reader.on("error", (e) => this.onReaderEnd(reader, e));
  }

  private onReaderEnd(reader: ReadStream, error: Error | undefined): void {
    if (reader !== this.reader) return;
    this.readerDone = true;
    const code = (error as { code?: string } | undefined)?.code;
    if (code === "EAGAIN") {
      // A read met the O_NONBLOCK of an input write: read again.
      this.startReader();
      return;
    }
    // EIO is how a pty master reports that the last holder of its peer has gone.
    if (error && code !== "EIO") log("debug", `read from the pty master: ${error.message}`);
    this.hungUp = true;
    this.resolveDone();
  }

  /** Closes the relay once the caller can no longer see or type anything. */
  private callerGone(reason: string): void {
    if (this.closed) return;
    log("debug", `the caller's side of the terminal has gone (${reason}): hanging up the container's pty`);
    this.close();
  }

  private readonly checkCaller = () => {
    const fd = this.options.terminal?.fd;
    if (fd === undefined) return;
    const revents = poll([{ fd, events: 0 }], 0)[0]!;
    if (revents & (POLLHUP | POLLERR)) this.callerGone("the terminal hung up");
  };

  private onOutput(chunk: Uint8Array): void {
    this.lastOutput = performance.now();
    let written = 0;
    while (written < chunk.length && !this.closed) {
      try {
        const count = writeSome(this.output, chunk.subarray(written));
        // 0 is EAGAIN: the caller's output is non-blocking and full.
        if (count === 0) poll([{ fd: this.output, events: POLLOUT }], -1);
        written += count;
      } catch (e) {
        // EIO or EPIPE: the caller's terminal or pipe has gone.
        this.callerGone((e as Error).message);
      }
    }
  }

  private readonly onInput = (chunk: Buffer) => {
    this.queueInput(chunk);
  };

  private readonly onInputEnd = () => {
    // In raw mode ^D is an ordinary byte, so the end of a terminal's input
    // means that it hung up.
    if (this.options.terminal?.isInput) {
      this.callerGone("end of input from the terminal");
      return;
    }
    // The end of redirected input reaches the container as its end-of-file
    // character, which a reader in canonical mode takes as end of file.
    this.queueInput(Uint8Array.of(eofCharacter(this.master)));
  };

  private readonly onInputError = (e: Error) => {
    if (this.options.terminal?.isInput) {
      this.callerGone(e.message);
      return;
    }
    log("warn", `read from stdin: ${e.message}`);
    this.onInputEnd();
  };

  private queueInput(chunk: Uint8Array): void {
    if (this.closed || this.hungUp) return;
    this.pendingInput.push(chunk);
    this.pendingBytes += chunk.length;
    if (!this.inputTimer) this.flushInput();
  }

  private readonly flushInput = () => {
    this.inputTimer = undefined;
    while (this.pendingInput.length > 0) {
      const chunk = this.pendingInput[0]!;
      let written: number;
      try {
        written = this.writeMaster(chunk);
      } catch {
        // EIO: the container side has gone, and its input with it.
        this.pendingInput = [];
        this.pendingBytes = 0;
        return;
      }
      this.pendingBytes -= written;
      if (written < chunk.length) {
        this.pendingInput[0] = chunk.subarray(written);
        if (this.pendingBytes > INPUT_HIGH_WATER && !this.inputPaused) {
          this.inputPaused = true;
          process.stdin.pause();
        }
        this.inputTimer = setTimeout(this.flushInput, INPUT_RETRY_MS);
        return;
      }
      this.pendingInput.shift();
    }
    if (this.inputPaused) {
      this.inputPaused = false;
      process.stdin.resume();
    }
  };

  /** Writes what the master takes now, without blocking; returns the count. */
  private writeMaster(chunk: Uint8Array): number {
    const flags = fcntl(this.master, F_GETFL);
    fcntl(this.master, F_SETFL, flags | O_NONBLOCK);
    try {
      return writeSome(this.master, chunk);
    } finally {
      fcntl(this.master, F_SETFL, flags);
    }
  }

  /** Makes a pending read on the master return, by giving it one byte to read. */
  private wakeReader(): void {
    let peer = -1;
    try {
      peer = openPeer(this.master, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
      // Output stopped by ^S would refuse the byte.
      restartOutput(peer);
      writeSome(peer, Uint8Array.of(0));
    } catch (e) {
      log("debug", `wake the pty reader: ${(e as Error).message}`);
    } finally {
      if (peer >= 0) closeQuietly(peer);
    }
  }
}

function closeQuietly(fd: number): void {
  try {
    close(fd);
  } catch {
    // Closed already.
  }
}
