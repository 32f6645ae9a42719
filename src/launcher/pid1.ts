// The zero-config sandbox runs the caller's command as pid 1 of a new pid
// namespace, where the kernel drops every signal the process has no handler
// for. A CI job's `timeout` or a Ctrl-C would then never end the command.
// For the signals that end a process by default, the launcher does what the
// default action would have done: it kills the command, and reports the exit
// code of the signal it got (128+N).
import { readFileSync } from "node:fs";
import { tryKill } from "../ffi/libc.ts";

const TERMINATING = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM"] as const;
const NUMBERS: Record<(typeof TERMINATING)[number], number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 };
const SIGKILL = 9;

/** The signals for which pid has a handler, or which it ignores (from /proc/PID/status). */
function dispositions(pid: number): { caught: bigint; ignored: bigint } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string) => BigInt(`0x${new RegExp(`^${name}:\\s*([0-9a-f]+)$`, "m").exec(status)?.[1] ?? "0"}`);
    return { caught: field("SigCgt"), ignored: field("SigIgn") };
  } catch {
    return undefined;
  }
}

export interface InitSignals {
  /** The signal the command was killed for, when one was; its exit code is 128+N. */
  readonly killedFor: number | undefined;
  stop(): void;
}

/**
 * Handles SIGHUP, SIGINT, SIGQUIT and SIGTERM for the command pid: a signal
 * it handles is passed on, one it ignores is dropped, and one it leaves at
 * the default kills it, as it would kill a process that is not pid 1.
 * These replace the C forwarder's handlers for the four signals.
 */
export function emulateDefaultActions(pid: number): InitSignals {
  let killedFor: number | undefined;
  const handlers = TERMINATING.map((name) => {
    const sig = NUMBERS[name];
    const handler = () => {
      const d = dispositions(pid);
      const bit = 1n << BigInt(sig - 1);
      if (d && d.caught & bit) {
        tryKill(pid, sig);
      } else if (!d || !(d.ignored & bit)) {
        killedFor ??= sig;
        tryKill(pid, SIGKILL);
      }
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return {
    get killedFor() {
      return killedFor;
    },
    stop() {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}
