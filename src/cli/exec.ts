// ns exec / ns enter: run a process inside a running container. The process
// starts from the container's own process settings (env, cwd, user,
// capabilities, noNewPrivileges), changed by the options or replaced by a
// --process file, as runc exec does.
import { readFileSync } from "node:fs";
import { parseJson } from "../config/json.ts";
import { UserError } from "../errors.ts";
import { close, exitCodeOf } from "../ffi/libc.ts";
import { forwardSignals, setForwardTarget } from "../ffi/trampoline.ts";
import { enterContainer, type EnterProcess } from "../launcher/enter.ts";
import { forwardedSignalMask, writePidFile } from "../launcher/launch.ts";
import { waitForExit } from "../launcher/wait.ts";
import { logContext } from "../log.ts";
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import { resolveUserSpec } from "../user.ts";
import type { ProcessSpec } from "../init/config.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";

function mergeEnv(base: readonly string[], extra: readonly string[]): string[] {
  const env = new Map<string, string>();
  for (const entry of [...base, ...extra]) {
    const eq = entry.indexOf("=");
    env.set(eq < 0 ? entry : entry.slice(0, eq), entry);
  }
  return [...env.values()];
}

function buildProcess(container: Container, args: ParsedArgs): EnterProcess & { terminal: boolean } {
  const o = args.options;
  const base = (container.record.config.process ?? {}) as Partial<ProcessSpec>;
  let p: Partial<ProcessSpec>;
  if (o.process) {
    const file = o.process as string;
    try {
      p = parseJson(readFileSync(file, "utf8")) as Partial<ProcessSpec>;
    } catch (e) {
      throw new UserError(`--process ${file}: ${(e as Error).message}`);
    }
  } else {
    const command = (args.positionals.command as string[] | undefined) ?? [];
    if (command.length === 0) throw new UserError(`${args.positionals.id}: missing the command to run (ns exec ID CMD [ARGS...])`, 2);
    p = { ...base, args: command, terminal: o.tty === true };
  }
  if (!p.args || p.args.length === 0) throw new UserError("process.args: must name a program to run");

  const root = `/proc/${container.record.pid}/root`;
  let user = p.user ?? base.user ?? { uid: 0, gid: 0 };
  let additionalGids = user.additionalGids ?? [];
  let home: string | undefined;
  if (o.user) {
    const resolved = resolveUserSpec(o.user as string, root);
    user = { uid: resolved.uid, gid: resolved.gid };
    additionalGids = resolved.additionalGids;
    home = resolved.home;
  }
  if (o["additional-gids"]) additionalGids = (o["additional-gids"] as string[]).map(Number);
  let env = mergeEnv(p.env ?? base.env ?? [], (o.env as string[] | undefined) ?? []);
  if (!env.some((e) => e.startsWith("HOME="))) env = [...env, `HOME=${home ?? "/"}`];
  const caps = { ...(p.capabilities ?? base.capabilities ?? {}) };
  for (const cap of (o.cap as string[] | undefined) ?? []) {
    const name = cap.toUpperCase().startsWith("CAP_") ? cap.toUpperCase() : `CAP_${cap.toUpperCase()}`;
    for (const set of ["bounding", "effective", "permitted", "inheritable", "ambient"] as const) {
      if (set === "ambient" || set === "inheritable") continue;
      caps[set] = [...new Set([...(caps[set] ?? []), name])];
    }
  }
  return {
    args: p.args,
    env,
    cwd: (o.cwd as string | undefined) ?? p.cwd ?? base.cwd ?? "/",
    user: { uid: user.uid, gid: user.gid, additionalGids, umask: user.umask },
    capabilities: caps,
    noNewPrivileges: o["no-new-privs"] === true || (p.noNewPrivileges ?? base.noNewPrivileges ?? false),
    rlimits: p.rlimits,
    terminal: o.tty === true || p.terminal === true,
    preserveFds: (o["preserve-fds"] as number | undefined) ?? 0,
  };
}

export default async function exec(args: ParsedArgs, globals: Globals): Promise<number> {
  const id = args.positionals.id as string;
  logContext({ id });
  const store = new StateStore(globals.root);
  const container = Container.load(store, id);
  const status = container.status();
  if (status === "paused") throw new UserError(`cannot exec in container "${id}": it is paused (ns resume it first)`);
  if (status !== "running" && status !== "created") throw new UserError(`cannot exec in container "${id}": it is ${status}`);
  const proc = buildProcess(container, args);
  const detach = args.options.detach === true;
  const consoleSocket = args.options["console-socket"] as string | undefined;

  let relay: { done: Promise<void>; restore: () => void } | undefined;
  let master = -1;
  if (proc.terminal) {
    if (detach && !consoleSocket) throw new UserError("--tty with --detach needs --console-socket to hand over the terminal");
    const { openPty } = await import("../console/pty.ts");
    // The container's /dev/ptmx leads to its own devpts instance.
    const pty = openPty(`/proc/${container.record.pid}/root/dev/pts/ptmx`);
    master = pty.master;
    proc.stdio = [pty.peer, pty.peer, pty.peer];
  }

  let pid: number;
  try {
    pid = enterContainer(container, proc);
  } finally {
    if (proc.stdio) close(proc.stdio[0]);
  }
  if (args.options["pid-file"]) writePidFile(args.options["pid-file"] as string, pid);

  if (master >= 0) {
    const consoleModule = await import("../console/index.ts");
    if (consoleSocket) consoleModule.sendToConsoleSocket(consoleSocket, master);
    else relay = consoleModule.relayTerminal(master, undefined);
  }
  if (detach) return 0;

  forwardSignals(pid, forwardedSignalMask(proc.terminal));
  const statusCode = await waitForExit(pid);
  setForwardTarget(0);
  if (relay) {
    await relay.done;
    relay.restore();
  }
  return exitCodeOf(statusCode);
}

