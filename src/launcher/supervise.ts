// The foreground launcher of `ns run`: start the container, relay its
// terminal when it has one, forward signals, wait for it, clean up.
import { exitCodeOf } from "../ffi/libc.ts";
import { forwardSignals, setForwardTarget } from "../ffi/trampoline.ts";
import { runHooks } from "../hooks.ts";
import { log, mark } from "../log.ts";
import { UserError } from "../errors.ts";
import type { ConsoleSocket, TerminalRelay } from "../console/index.ts";
import type { ContainerLaunch } from "./launch.ts";
import { forwardedSignalMask } from "./command.ts";
import { teardown } from "./teardown.ts";
import { shedStartupPages } from "./memory.ts";
import { emulateDefaultActions } from "./pid1.ts";
import { waitForExit } from "./wait.ts";

export interface SuperviseOptions {
  detach: boolean;
  keep: boolean;
  consoleSocket?: string | undefined;
}

export async function superviseForeground(launch: ContainerLaunch, opts: SuperviseOptions): Promise<number> {
  let terminal: ConsoleHandling;
  try {
    terminal = await prepareConsole(launch, opts);
  } catch (e) {
    // Nothing is running yet: this removes the claimed state directory.
    launch.destroy();
    throw e;
  }

  // Signals are held from here until the container's process runs: sent
  // any earlier, they would reach the init stage, which as pid 1 of its pid
  // namespace has no handler for them, and be lost.
  if (!opts.detach) forwardSignals(0, forwardedSignalMask(launch.spec.process?.terminal === true));
  try {
    launch.launch();
  } catch (e) {
    terminal.close();
    throw e;
  }
  try {
    launch.start();
  } catch (e) {
    terminal.close();
    launch.destroy();
    throw e;
  }
  if (!opts.detach) setForwardTarget(launch.pid);
  const pid1 = launch.opts.hostRoot && !opts.detach ? emulateDefaultActions(launch.pid) : undefined;
  try {
    runHooks("poststart", launch.spec.hooks?.poststart, launch.hookState("running"));
  } catch (e) {
    log("warn", (e as Error).message);
  }
  if (opts.detach) return 0;

  // Once the wait has settled (its first garbage collection included), the
  // pages of start-up code are not needed again.
  const shed = setTimeout(() => {
    Bun.gc(true);
    shedStartupPages();
  }, 300);
  let status: number;
  try {
    status = await waitForExit(launch.pid);
    clearTimeout(shed);
    // The pid is free for reuse now: no later signal may reach whatever takes it.
    setForwardTarget(-1);
    pid1?.stop();
    mark("exited");
  } finally {
    await terminal.finish();
  }
  // A command killed for a signal the launcher got reports that signal, not SIGKILL.
  const code = pid1?.killedFor !== undefined && exitCodeOf(status) === 128 + 9 ? 128 + pid1.killedFor : exitCodeOf(status);
  const pid = launch.pid;
  launch.pid = 0;
  try {
    runHooks("poststop", launch.spec.hooks?.poststop, { ...launch.hookState("stopped"), pid });
  } catch (e) {
    log("warn", (e as Error).message);
  }
  if (opts.keep) {
    const record = launch.opts.store.read(launch.opts.id);
    launch.opts.store.write({ ...record, foreground: false });
  } else {
    teardown(launch.opts.store, launch.opts.id, launch.cgroup, launch.network);
  }
  mark("removed");
  return code;
}

/** The destination of the container's pty master, and the way to release it. */
export interface ConsoleHandling {
  /** After the container has exited: drains the relay and restores the caller's terminal. */
  finish(): Promise<void>;
  /** On failure: stops everything at once. */
  close(): void;
}

/**
 * Checks the terminal options and arranges for the pty master the init stage
 * sends: to the console socket (connected now, so that a wrong path fails
 * before anything exists), or to a relay to the caller's terminal.
 */
export async function prepareConsole(launch: ContainerLaunch, opts: { detach: boolean; consoleSocket?: string | undefined }): Promise<ConsoleHandling> {
  const none: ConsoleHandling = { finish: async () => {}, close: () => {} };
  if (launch.spec.process?.terminal !== true) {
    if (opts.consoleSocket) {
      throw new UserError("--console-socket: process.terminal is false, so there is no terminal to send (set it to true, or drop the option)");
    }
    return none;
  }

  const consoleModule = await import("../console/index.ts");
  if (opts.consoleSocket) {
    const socket: ConsoleSocket = consoleModule.ConsoleSocket.connect(opts.consoleSocket);
    launch.opts.onConsole = (master) => socket.send(master);
    return { finish: async () => socket.close(), close: () => socket.close() };
  }
  if (opts.detach) {
    throw new UserError("process.terminal is true: a detached container (ns create, ns run -d) needs --console-socket to hand the terminal to (or set process.terminal to false)");
  }

  const caller = consoleModule.CallerTerminal.require("process.terminal is true", "pass --console-socket, or set process.terminal to false");
  let relay: TerminalRelay | undefined;
  launch.opts.onConsole = (master) => {
    relay = new consoleModule.TerminalRelay(master, { terminal: caller });
  };
  return {
    finish: async () => {
      await relay?.finish();
      caller.restore();
    },
    close: () => {
      relay?.close();
      caller.restore();
    },
  };
}
