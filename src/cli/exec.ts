// ns exec / ns enter: run a process inside a running container. The process
// starts from the container's own process settings (env, cwd, user,
// capabilities, noNewPrivileges), changed by the options or replaced by a
// --process file, as runc exec does.
import { readFileSync } from "node:fs";
import type { Process, Spec } from "../config/schema.ts";
import { describeError, UserError } from "../errors.ts";
import { close, exitCodeOf, tryKill, waitpid } from "../ffi/libc.ts";
import { forwardSignals, setForwardTarget } from "../ffi/trampoline.ts";
import { enterContainer, type EnterProcess } from "../launcher/enter.ts";
import { forwardedSignalMask } from "../launcher/command.ts";
import { writePidFile } from "../launcher/teardown.ts";
import { waitForExit } from "../launcher/wait.ts";
import { logContext } from "../log.ts";
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import { homeOf, NGROUPS_MAX, resolveUserSpec } from "../user.ts";
import type { ProcessSpec } from "../init/config.ts";
import type { CallerTerminal, ConsoleSocket, Pty, TerminalRelay } from "../console/index.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";
import { capabilityOption, checkExecOptions } from "./exec-options.ts";
import { preserveFdsOption } from "./fds.ts";

function mergeEnv(base: readonly string[], extra: readonly string[]): string[] {
  const env = new Map<string, string>();
  for (const entry of [...base, ...extra]) {
    const eq = entry.indexOf("=");
    env.set(eq < 0 ? entry : entry.slice(0, eq), entry);
  }
  return [...env.values()];
}

/**
 * Reads a --process file: the OCI process object, checked against the
 * schema and the rules config.json's process must meet. The container's
 * linux section takes part because some rules depend on its namespaces.
 * Errors name the file and the field.
 */
function loadProcessFile(file: string, linux: Spec["linux"]): Process {
  // The schema and its checks load only for --process, to keep exec's start short.
  const v = require("valibot") as typeof import("valibot");
  const { ConfigError, fieldPath } = require("../config/error.ts") as typeof import("../config/error.ts");
  const { parseJson } = require("../config/json.ts") as typeof import("../config/json.ts");
  const { processSchema } = require("../config/schema/process.ts") as typeof import("../config/schema/process.ts");
  const { issueMessage } = require("../config/schema/types.ts") as typeof import("../config/schema/types.ts");
  const { checkAdditionalGids, checkArgs, checkCapabilities, checkCwd, checkEnv, checkRlimits } = require("../config/validate/process.ts") as typeof import("../config/validate/process.ts");
  let json: unknown;
  try {
    json = parseJson(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UserError(`--process ${file}: ${describeError(e)}`, 1, { cause: e });
  }
  const result = v.safeParse(processSchema, json, { abortEarly: true, message: issueMessage });
  if (!result.success) {
    const keys = (result.issues[0].path ?? []).map((item) => item.key as string | number);
    throw new ConfigError(fieldPath(["process", ...keys]), result.issues[0].message, file);
  }
  const spec = { ociVersion: "1.2.0", process: result.output, linux } as Spec;
  try {
    for (const check of [checkArgs, checkAdditionalGids, checkCwd, checkEnv, checkRlimits, checkCapabilities]) check(spec);
  } catch (e) {
    if (e instanceof ConfigError) throw e.inFile(file);
    throw e;
  }
  return result.output;
}

function buildProcess(container: Container, args: ParsedArgs, preserveFds: number): EnterProcess & { terminal: boolean } {
  const o = args.options;
  const base = (container.record.config.process ?? {}) as Partial<ProcessSpec>;
  let p: Partial<ProcessSpec>;
  if (o.process) {
    p = loadProcessFile(o.process as string, container.record.config.linux as Spec["linux"]) as Partial<ProcessSpec>;
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
    let resolved: ReturnType<typeof resolveUserSpec>;
    try {
      resolved = resolveUserSpec(o.user as string, root);
    } catch (e) {
      throw new UserError(`--user ${o.user}: ${describeError(e)}`, 1, { cause: e });
    }
    user = { uid: resolved.uid, gid: resolved.gid };
    additionalGids = resolved.additionalGids;
    home = resolved.home;
  }
  if (o["additional-gids"]) additionalGids = (o["additional-gids"] as string[]).map(Number);
  if (additionalGids.length > NGROUPS_MAX) {
    throw new UserError(`--additional-gids: ${additionalGids.length} groups, more than the kernel's limit of ${NGROUPS_MAX}`, 2);
  }
  let env = mergeEnv(p.env ?? base.env ?? [], (o.env as string[] | undefined) ?? []);
  if (!env.some((e) => e.startsWith("HOME="))) env = [...env, `HOME=${home ?? homeOf(user.uid, root)}`];
  const caps = { ...(p.capabilities ?? base.capabilities ?? {}) };
  // As runc exec --cap does: the capability joins the bounding, effective and
  // permitted sets, and the ambient set only when the process has an
  // inheritable set, because the kernel raises no ambient capability that is
  // not also inheritable.
  for (const cap of (o.cap as string[] | undefined) ?? []) {
    const name = capabilityOption(cap);
    const sets = caps.inheritable ? (["bounding", "effective", "permitted", "ambient"] as const) : (["bounding", "effective", "permitted"] as const);
    for (const set of sets) caps[set] = [...new Set([...(caps[set] ?? []), name])];
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
    preserveFds,
  };
}

export default async function exec(args: ParsedArgs, globals: Globals): Promise<number> {
  const id = args.positionals.id as string;
  logContext({ id });
  checkExecOptions(args.options);
  const preserveFds = preserveFdsOption(args.options["preserve-fds"] as number | undefined);
  const store = new StateStore(globals.root);
  const container = Container.load(store, id);
  const status = container.status();
  if (status === "paused") throw new UserError(`cannot exec in container "${id}": it is paused (ns resume it first)`);
  if (status !== "running" && status !== "created") throw new UserError(`cannot exec in container "${id}": it is ${status}`);
  const proc = buildProcess(container, args, preserveFds);
  const detach = args.options.detach === true;
  const consoleSocket = args.options["console-socket"] as string | undefined;
  const terminal = proc.terminal ? await prepareTerminal(container, proc, { detach, consoleSocket }) : undefined;
  if (!terminal && consoleSocket) throw new UserError("--console-socket: the process has no terminal to send (add --tty)");
  if (terminal) proc.stdio = [terminal.pty.peer, terminal.pty.peer, terminal.pty.peer];

  // Signals that arrive while the process starts are held, then sent to it:
  // they must neither end ns and leave the process running, nor be lost.
  if (!detach) forwardSignals(0, forwardedSignalMask(proc.terminal));
  let pid: number;
  try {
    pid = enterContainer(container, proc);
  } catch (e) {
    if (!detach) setForwardTarget(-1);
    terminal?.close();
    throw e;
  } finally {
    if (terminal) close(terminal.pty.peer);
  }

  try {
    // Without its terminal, or without the pid file its caller waits for,
    // the process is stopped rather than left running unseen.
    if (terminal?.socket) terminal.socket.send(terminal.pty.master);
    if (args.options["pid-file"]) writePidFile(args.options["pid-file"] as string, pid);
  } catch (e) {
    if (!detach) setForwardTarget(-1);
    tryKill(pid, SIGKILL);
    waitpid(pid);
    throw e;
  }
  if (detach) return 0;

  // The held signals go to the process before the caller's terminal goes
  // raw, so that a SIGTERM to ns from now on cannot leave it raw.
  setForwardTarget(pid);
  const relay = terminal?.startRelay();
  let statusCode: number;
  try {
    statusCode = await waitForExit(pid);
  } finally {
    setForwardTarget(0);
    await relay?.finish();
    terminal?.caller?.restore();
  }
  return exitCodeOf(statusCode);
}

const SIGKILL = 9;

/** The process's pty, and where its master goes: a console socket or the caller's terminal. */
interface ExecTerminal {
  pty: Pty;
  socket?: ConsoleSocket | undefined;
  caller?: CallerTerminal | undefined;
  /** Starts relaying the master to the caller's terminal, unless it goes to a console socket. */
  startRelay(): TerminalRelay | undefined;
  /** On failure: lets go of everything. */
  close(): void;
}

/**
 * Checks the terminal options, connects the console socket or finds the
 * caller's terminal, and allocates the pty in the container's own devpts
 * instance, owned by the process's user.
 */
async function prepareTerminal(container: Container, proc: { user: { uid: number } }, opts: { detach: boolean; consoleSocket?: string | undefined }): Promise<ExecTerminal> {
  if (opts.detach && !opts.consoleSocket) throw new UserError("--tty with --detach needs --console-socket to hand the terminal to");
  const consoleModule = await import("../console/index.ts");
  const socket = opts.consoleSocket ? consoleModule.ConsoleSocket.connect(opts.consoleSocket) : undefined;
  let caller: CallerTerminal | undefined;
  try {
    if (!socket) caller = consoleModule.CallerTerminal.require("--tty is set", "pass --console-socket, or drop --tty");
    const pid = container.record.pid;
    // The container's /dev/pts/ptmx leads to its own devpts instance.
    const ptmx = `/proc/${pid}/root/dev/pts/ptmx`;
    let pty: Pty;
    try {
      pty = consoleModule.openPty(ptmx);
    } catch (e) {
      throw new UserError(`--tty: cannot allocate a pty in container "${container.id}", which needs devpts mounted on /dev/pts: ${(e as Error).message}`, 1, { cause: e });
    }
    try {
      consoleModule.chownPeerFromHost(pty.peer, pid, proc.user.uid);
    } catch (e) {
      close(pty.master);
      close(pty.peer);
      throw e;
    }
    return {
      pty,
      socket,
      caller,
      startRelay: () => (caller ? new consoleModule.TerminalRelay(pty.master, { terminal: caller }) : undefined),
      close: () => {
        close(pty.master);
        socket?.close();
        caller?.restore();
      },
    };
  } catch (e) {
    socket?.close();
    caller?.restore();
    throw e;
  }
}
