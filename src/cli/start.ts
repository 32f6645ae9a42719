// ns start: release a created container's init stage through its exec fifo,
// then run the poststart hooks.
import { unlinkSync } from "node:fs";
import { close, O_CLOEXEC, O_NONBLOCK, O_RDONLY, open, pollIn, read, SyscallError } from "../ffi/libc.ts";
import { UserError } from "../errors.ts";
import { runHooks, type Hook } from "../hooks.ts";
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";

const POLL_MS = 100;

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
      releaseInit(c, fd);
    } finally {
      close(fd);
    }
    unlinkSync(fifo);
    store.write({ ...c.record, started: true });
    return c;
  });
  const hooks = (container.record.config.hooks as { poststart?: Hook[] } | undefined)?.poststart;
  // The recorded pid and "running", even when a short process has already exited.
  runHooks("poststart", hooks, { ...container.ociState(), status: "running", pid: container.record.pid });
  return 0;
}

/**
 * Releases the init stage and waits for it to close the exec fifo. Opening
 * the fifo for reading completes the init stage's blocked open for writing,
 * and the init stage then writes one byte. An init stage that keeps the fifo
 * open close-on-exec closes it at execve, so start returns once the process
 * runs. Any text written after the byte is why the process did not start
 * (a failed startContainer hook, for example), and start fails with it.
 */
function releaseInit(c: Container, fd: number): void {
  const buffer = new Uint8Array(new ArrayBuffer(4096));
  const report: Uint8Array[] = [];
  let released = false;
  for (;;) {
    if (pollIn(fd, POLL_MS)) {
      let n: number;
      try {
        n = read(fd, buffer);
      } catch (e) {
        if (!(e instanceof SyscallError && e.code === "EAGAIN")) throw e;
        n = -1;
      }
      if (n === 0 && released) break;
      if (n > 0) {
        const data = released ? buffer.subarray(0, n) : buffer.subarray(1, n);
        if (data.length > 0) report.push(data.slice());
        released = true;
      }
    }
    // Once released, EOF ends the loop: an exited writer has closed its end.
    if (!released && !c.alive()) throw new UserError(`cannot start container "${c.id}": its init process has exited`);
  }
  const reason = Buffer.concat(report).toString().trim();
  if (reason !== "") throw new UserError(`cannot start container "${c.id}": ${reason}`);
}
