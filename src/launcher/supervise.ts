// The foreground launcher of `ns run`: start the container, relay its
// terminal when it has one, forward signals, wait for it, clean up.
import { exitCodeOf } from "../ffi/libc.ts";
import { runHooks } from "../hooks.ts";
import { log, mark } from "../log.ts";
import { UserError } from "../errors.ts";
import type { ContainerLaunch } from "./launch.ts";
import { teardown } from "./launch.ts";
import { waitForExit } from "./wait.ts";

export interface SuperviseOptions {
  detach: boolean;
  keep: boolean;
  consoleSocket?: string | undefined;
}

export async function superviseForeground(launch: ContainerLaunch, opts: SuperviseOptions): Promise<number> {
  const terminal = launch.spec.process?.terminal === true;
  let relay: { done: Promise<void>; restore: () => void } | undefined;
  if (terminal) {
    const console = await import("../console/index.ts");
    if (opts.consoleSocket) {
      launch.opts.onConsole = (master) => console.sendToConsoleSocket(opts.consoleSocket!, master);
    } else if (opts.detach) {
      throw new UserError("process.terminal needs --console-socket when the container runs detached (-d)");
    } else {
      launch.opts.onConsole = (master) => {
        relay = console.relayTerminal(master, launch);
      };
    }
  }

  try {
    launch.launch();
  } catch (e) {
    relay?.restore();
    throw e;
  }
  try {
    launch.start();
  } catch (e) {
    relay?.restore();
    launch.destroy();
    throw e;
  }
  try {
    runHooks("poststart", launch.spec.hooks?.poststart, launch.hookState("running"));
  } catch (e) {
    log("warn", (e as Error).message);
  }
  if (opts.detach) return 0;

  const status = await waitForExit(launch.pid);
  mark("exited");
  if (relay) {
    await relay.done;
    relay.restore();
  }
  const code = exitCodeOf(status);
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
  return code;
}
