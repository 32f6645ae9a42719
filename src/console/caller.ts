// The terminal of the person running ns: found among stdin, stdout, stderr
// and the controlling terminal, put in raw mode while a container's pty is
// relayed to it, and restored afterwards.
import { getpgrp } from "../ffi/console.ts";
import { cfmakeraw, close, ioctl, isatty, O_CLOEXEC, O_NOCTTY, O_RDWR, open, tcgetattr, tcsetattr, TCSANOW } from "../ffi/libc.ts";
import { UserError } from "../errors.ts";
import { getWindowSize } from "./pty.ts";

const TIOCGPGRP = 0x540f;

export class CallerTerminal {
  private saved: Uint8Array | undefined;

  private constructor(
    /** The terminal's fd: 0, 1, 2, or an fd on /dev/tty that restore() closes. */
    readonly fd: number,
    private ownsFd: boolean,
  ) {}

  /**
   * Finds the caller's terminal: the first of stdin, stdout and stderr that
   * is one, else the controlling terminal (/dev/tty) when all three are
   * redirected. Returns undefined when there is none.
   */
  static find(): CallerTerminal | undefined {
    for (const fd of [0, 1, 2]) {
      if (isatty(fd)) return new CallerTerminal(fd, false);
    }
    try {
      return new CallerTerminal(open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC), true);
    } catch {
      return undefined;
    }
  }

  /**
   * Like find(), but a missing terminal is a UserError. reason states why a
   * terminal is needed, and fix how to do without one.
   */
  static require(reason: string, fix: string): CallerTerminal {
    const terminal = CallerTerminal.find();
    if (!terminal) {
      throw new UserError(`${reason}, but stdin, stdout and stderr are not terminals and there is no controlling terminal: run ns from a terminal, ${fix}`);
    }
    if (terminal.isInput && !terminal.inForeground()) {
      // The kernel stops a background job that reads its terminal or
      // changes its mode (SIGTTIN, SIGTTOU), and ns forwards those signals
      // to the container instead of stopping, so it would never get through.
      terminal.restore();
      throw new UserError(`${reason}, but ns is a background job of its terminal: run it in the foreground, ${fix}`);
    }
    return terminal;
  }

  /**
   * Returns whether this process is in the terminal's foreground process
   * group; true also when the terminal is not our controlling terminal,
   * since job control then does not apply.
   */
  inForeground(): boolean {
    const group = new Int32Array(new ArrayBuffer(4));
    try {
      ioctl(this.fd, TIOCGPGRP, group, "ioctl(TIOCGPGRP)");
    } catch {
      return true;
    }
    return group[0] === getpgrp();
  }

  /** Returns whether input comes from this terminal, so that raw mode applies to what the container reads. */
  get isInput(): boolean {
    return this.fd === 0;
  }

  /** Returns [rows, columns], or undefined when the terminal reports no size (0x0). */
  windowSize(): [number, number] | undefined {
    const size = getWindowSize(this.fd);
    if (!size || size[0] === 0 || size[1] === 0) return undefined;
    return size;
  }

  /**
   * Switches the terminal to raw mode (cfmakeraw: no echo, no line editing,
   * no signals from ^C), so that every key reaches the container's own line
   * discipline. Only when stdin is the terminal: with stdin redirected,
   * ^C must still interrupt ns.
   */
  makeRaw(): void {
    if (!this.isInput || this.saved) return;
    const saved = tcgetattr(this.fd);
    const raw = Uint8Array.from(saved);
    cfmakeraw(raw);
    tcsetattr(this.fd, TCSANOW, raw);
    this.saved = saved;
  }

  /**
   * Puts back the settings makeRaw() found and closes an fd of our own.
   * Safe to call more than once, and after the terminal has hung up.
   */
  restore(): void {
    const saved = this.saved;
    this.saved = undefined;
    if (saved) {
      try {
        tcsetattr(this.fd, TCSANOW, saved);
      } catch {
        // EIO: the terminal has hung up, so its mode no longer matters.
      }
    }
    if (this.ownsFd) {
      this.ownsFd = false;
      try {
        close(this.fd);
      } catch {
        // Closed already.
      }
    }
  }
}
