// OCI hooks (runtime-spec config.md "POSIX-platform Hooks"): each runs with
// the container's state JSON on stdin, its own args (args[0] is its argv[0])
// and env, and an optional timeout in seconds.
import { fstatSync, readSync, statSync } from "node:fs";
import { describeError, UserError } from "./errors.ts";
import { close, cstr, ptr, SYS, syscall } from "./ffi/libc.ts";
import { log } from "./log.ts";
import { writeStderr } from "./output.ts";

export interface Hook {
  path: string;
  args?: readonly string[] | undefined;
  env?: readonly string[] | undefined;
  timeout?: number | undefined;
}

export type HookPhase = "prestart" | "createRuntime" | "createContainer" | "startContainer" | "poststart" | "poststop";

/**
 * Phases whose failures only warn. runtime-spec runtime.md requires a
 * warning when a poststart or poststop hook fails, after which the remaining
 * hooks and the lifecycle continue. A failure in any other phase fails the
 * operation.
 */
const WARN_ONLY_PHASES: ReadonlySet<HookPhase> = new Set(["poststart", "poststop"]);
/** Phases whose hooks run in the runtime's namespaces, in the bundle directory as with runc. */
const HOST_PHASES: ReadonlySet<HookPhase> = new Set(["prestart", "createRuntime", "poststart", "poststop"]);

/** Returns the bundle directory of the state as the hook's working directory, if it still exists. */
function bundleDir(phase: HookPhase, state: unknown): string | undefined {
  const bundle = (state as { bundle?: unknown } | null)?.bundle;
  if (!HOST_PHASES.has(phase) || typeof bundle !== "string" || !bundle.startsWith("/")) return undefined;
  try {
    return statSync(bundle).isDirectory() ? bundle : undefined;
  } catch {
    return undefined;
  }
}

/** The tail of a hook's stderr that ns keeps, in bytes. */
const STDERR_TAIL = 64 * 1024;
const MFD_CLOEXEC = 1;

function envObject(env: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of env ?? []) {
    const eq = entry.indexOf("=");
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

/**
 * Creates an anonymous file for a hook's stderr. A pipe would make ns wait
 * for every process that inherited it, so a hook that leaves a daemon
 * running would hang the operation. A memfd has no end to wait for, and it
 * needs no writable filesystem (startContainer hooks run after pivot_root).
 */
function memfd(name: string): number {
  const nameBuffer = cstr(name);
  return syscall("memfd_create", SYS.memfd_create, name, ptr(nameBuffer), MFD_CLOEXEC);
}

function readTail(fd: number): string {
  const size = fstatSync(fd).size;
  const length = Math.min(size, STDERR_TAIL);
  const buffer = Buffer.alloc(length);
  readSync(fd, buffer, 0, length, size - length);
  return buffer.toString();
}

/** Runs one hook and throws a UserError naming the phase and hook when it fails or times out. */
export function runHook(phase: HookPhase, index: number, hook: Hook, state: unknown): void {
  const name = `hooks.${phase}[${index}] (${hook.path})`;
  const argv = hook.args && hook.args.length > 0 ? [...hook.args] : [hook.path];
  const stderrFd = memfd(`ns-hook-${phase}`);
  let stderr: string;
  let result;
  try {
    try {
      result = Bun.spawnSync({
        cmd: [hook.path, ...argv.slice(1)],
        argv0: argv[0],
        cwd: bundleDir(phase, state),
        env: envObject(hook.env),
        stdin: Buffer.from(JSON.stringify(state)),
        stdout: "inherit",
        stderr: stderrFd,
        timeout: hook.timeout ? hook.timeout * 1000 : undefined,
        killSignal: "SIGKILL",
      });
    } catch (e) {
      const code = (e as { code?: string }).code ?? "";
      const why = code === "ENOENT" ? "not found" : code === "EACCES" ? "permission denied" : describeError(e);
      throw new UserError(`${name}: ${why}`, 1, { cause: e });
    }
    stderr = readTail(stderrFd);
  } finally {
    close(stderrFd);
  }
  if (result.exitedDueToTimeout) throw new UserError(`${name}: timed out after ${hook.timeout} s`);
  if (!result.success) {
    const last = stderr.trim().split("\n").pop();
    const how = result.signalCode ? `killed by ${result.signalCode}` : `exited with ${result.exitCode}`;
    throw new UserError(`${name}: ${how}${last ? `: ${last}` : ""}`);
  }
  // A hook that succeeded keeps its stderr visible, as if it had inherited ours.
  if (stderr.length > 0) writeStderr(stderr);
}

/**
 * Runs the hooks of a phase in order. In poststart and poststop a failure is
 * logged as a warning and the next hook runs. In every other phase the first
 * failure stops the hooks and is thrown.
 */
export function runHooks(phase: HookPhase, hooks: readonly Hook[] | undefined, state: unknown): void {
  (hooks ?? []).forEach((hook, i) => {
    if (!WARN_ONLY_PHASES.has(phase)) {
      runHook(phase, i, hook, state);
      return;
    }
    try {
      runHook(phase, i, hook, state);
    } catch (e) {
      log("warn", describeError(e));
    }
  });
}
