// Signal names and numbers (x86_64), as `kill` and runc accept them.
import { UserError } from "./errors.ts";

export const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7,
  SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14,
  SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17, SIGCLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20,
  SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27,
  SIGWINCH: 28, SIGIO: 29, SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31,
};

const SIGRTMIN = 34;
const SIGRTMAX = 64;

/** Parses "TERM", "SIGTERM", "sigterm", "15", "SIGRTMIN+3" or "RTMAX-1"; the error names the input. */
export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= SIGRTMAX) return n;
    throw new UserError(`invalid signal "${text}": numbers go from 1 to ${SIGRTMAX}`);
  }
  const upper = text.toUpperCase();
  const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  const known = SIGNALS[name];
  if (known !== undefined) return known;
  const rt = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (rt) {
    const base = rt[1] === "MIN" ? SIGRTMIN : SIGRTMAX;
    const offset = rt[3] === undefined ? 0 : Number(rt[3]) * (rt[2] === "-" ? -1 : 1);
    const n = base + offset;
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  throw new UserError(`invalid signal "${text}" (use a name such as TERM or KILL, or a number)`);
}
