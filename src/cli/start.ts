// ns start: release a created container's init stage through its exec fifo.
import { unlinkSync } from "node:fs";
import { close, O_CLOEXEC, O_NONBLOCK, O_RDONLY, open, pollIn, read } from "../ffi/libc.ts";
import { UserError } from "../errors.ts";
import { runHooks, type Hook } from "../hooks.ts";
import { log } from "../log.ts";
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";

export default function start(args: ParsedArgs, globals: Globals): number {
  const id = args.positionals.id as string;
  const store = new StateStore(globals.root);
  const container = store.withLock(id, () => {
    const c = Container.load(store, id);
    const status = c.status();
    if (status !== "created") throw new UserError(`cannot start container "${id}": it is ${status}, not created`);
    const fifo = `${c.dir}/exec.fifo`;
    const fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    try {
      // The init stage's blocked open for writing completes now; wait for its byte.
      const byte = new Uint8Array(1);
      for (;;) {
        if (pollIn(fd, 100)) {
          let n = 0;
          try {
            n = read(fd, byte);
          } catch {
            n = 0;
          }
          if (n === 1) break;
        }
        if (!c.alive()) throw new UserError(`cannot start container "${id}": its init process has exited`);
      }
    } finally {
      close(fd);
    }
    unlinkSync(fifo);
    store.write({ ...c.record, started: true });
    return c;
  });
  const hooks = (container.record.config.hooks as { poststart?: Hook[] } | undefined)?.poststart;
  try {
    runHooks("poststart", hooks, { ...container.ociState(), status: "running" });
  } catch (e) {
    log("warn", (e as Error).message);
  }
  return 0;
}
