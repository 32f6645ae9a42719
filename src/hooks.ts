// OCI hooks: each runs with the container's state JSON on stdin, its own
// args (args[0] is its argv[0]) and env, and an optional timeout in seconds.
import { UserError } from "./errors.ts";

export interface Hook {
  path: string;
  args?: readonly string[] | undefined;
  env?: readonly string[] | undefined;
  timeout?: number | undefined;
}

export type HookPhase = "prestart" | "createRuntime" | "createContainer" | "startContainer" | "poststart" | "poststop";

function envObject(env: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of env ?? []) {
    const eq = entry.indexOf("=");
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

/** Runs one hook and throws a UserError naming the phase and hook when it fails or times out. */
export function runHook(phase: HookPhase, index: number, hook: Hook, state: unknown): void {
  const name = `hooks.${phase}[${index}] (${hook.path})`;
  const argv = hook.args && hook.args.length > 0 ? [...hook.args] : [hook.path];
  let result;
  try {
    result = Bun.spawnSync({
      cmd: [hook.path, ...argv.slice(1)],
      argv0: argv[0],
      env: envObject(hook.env),
      stdin: Buffer.from(JSON.stringify(state)),
      stdout: "inherit",
      stderr: "pipe",
      timeout: hook.timeout ? hook.timeout * 1000 : undefined,
      killSignal: "SIGKILL",
    });
  } catch (e) {
    const code = (e as { code?: string }).code ?? "";
    throw new UserError(`${name}: ${code === "ENOENT" ? "not found" : (e as Error).message}`, 1, { cause: e });
  }
  if (result.exitedDueToTimeout) throw new UserError(`${name}: timed out after ${hook.timeout} s`);
  if (!result.success) {
    const stderr = result.stderr.toString().trim().split("\n").pop();
    const how = result.signalCode ? `killed by ${result.signalCode}` : `exited with ${result.exitCode}`;
    throw new UserError(`${name}: ${how}${stderr ? `: ${stderr}` : ""}`);
  }
}

/** Runs the hooks of a phase in order; the first failure stops them. */
export function runHooks(phase: HookPhase, hooks: readonly Hook[] | undefined, state: unknown): void {
  (hooks ?? []).forEach((hook, i) => runHook(phase, i, hook, state));
}
