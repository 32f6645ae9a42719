// Running probe scripts in containers: a fresh busybox bundle per run, the
// container's output split into sections and fields, background runs for
// signal tests, and the checks that a run left nothing behind.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { expect } from "bun:test";
import { makeBundle, NS, type Bundle } from "./bundle.ts";
import { leftovers, ns, processLeftovers, type NsResult } from "./ns.ts";

export interface ScriptRun extends NsResult {
  id: string;
}

export interface ScriptOptions {
  /** Changes config.json before the run; args are already ["sh", "-c", script, id]. */
  edit?: (config: any) => void;
  /** Options of `ns run` before the id, such as ["--no-pivot"]. */
  runArgs?: string[];
  /** Called with the bundle before the run, to add files to its rootfs. */
  prepare?: (bundle: Bundle) => void;
  input?: string;
}

/**
 * Runs `sh -c script` under `ns run` in a fresh bundle, which is removed
 * afterwards. The id is the script's $0, so that the container's processes
 * carry it in their command line for processLeftovers.
 */
export function runScript(root: string, id: string, script: string, options: ScriptOptions = {}): ScriptRun {
  const bundle = makeBundle((config) => {
    config.process.args = ["sh", "-c", script, id];
    options.edit?.(config);
  });
  try {
    // A mapped root in a user namespace must be able to reach the rootfs.
    chmodSync(bundle.dir, 0o755);
    options.prepare?.(bundle);
    const result = ns(root, ["run", ...(options.runArgs ?? []), "--bundle", bundle.dir, id], { input: options.input });
    return { ...result, id };
  } finally {
    bundle.remove();
  }
}

/** Expects that the container left no state dir, cgroup, mount or process. */
export function expectClean(root: string, id: string): void {
  expect(leftovers(root, id)).toEqual([]);
  expect(processLeftovers(id)).toEqual([]);
}

/**
 * Splits probe output into sections: a line "== NAME" starts section NAME,
 * and the lines up to the next marker are its text.
 */
export function sections(output: string): Record<string, string> {
  const result: Record<string, string> = {};
  let name: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (name !== undefined) result[name] = lines.join("\n");
  };
  for (const line of output.split("\n")) {
    const marker = /^== (\S+)$/.exec(line);
    if (marker) {
      flush();
      name = marker[1]!;
      lines = [];
    } else if (name !== undefined) {
      lines.push(line);
    }
  }
  flush();
  for (const key of Object.keys(result)) result[key] = result[key]!.replace(/\n+$/, "");
  return result;
}

/** Parses "Name:\tvalue" lines, as in /proc/PID/status, into a map. */
export function statusFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}

/** Polls condition every 20 ms until it returns a value other than undefined or false; throws after timeoutMs. */
export async function waitFor<T>(what: string, condition: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(20);
  }
}

export interface BackgroundRun {
  /** The pid of the `ns run` launcher. */
  pid: number;
  /** Resolves when `ns run` exits (60 s at most, then it is killed). */
  done: Promise<NsResult>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `ns --root ROOT ARGS...` without waiting for it. */
export function startNs(root: string, args: string[]): BackgroundRun {
  const child = Bun.spawn([NS, "--root", root, ...args], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const done = (async () => {
    const [stdout, stderr, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    clearTimeout(timer);
    return { code, stdout, stderr };
  })();
  return { pid: child.pid, done, kill: (signal) => child.kill(signal) };
}

/**
 * Runs `sh -c script` under `ns run --pid-file` in a fresh bundle without
 * waiting, calls during() with the container process's host pid once the pid
 * file exists, and returns what ns run reported when it exits. If anything
 * fails first, the launcher is killed with SIGKILL (its container dies with
 * it, by the parent-death signal) and `ns delete --force` removes the rest.
 */
export async function runInBackground(
  root: string,
  id: string,
  script: string,
  options: ScriptOptions,
  during: (pid: number, launcher: BackgroundRun) => Promise<void> | void,
): Promise<NsResult> {
  const bundle = makeBundle((config) => {
    config.process.args = ["sh", "-c", script, id];
    options.edit?.(config);
  });
  let launcher: BackgroundRun | undefined;
  let finished = false;
  try {
    chmodSync(bundle.dir, 0o755);
    options.prepare?.(bundle);
    const pidFile = `${bundle.dir}/container.pid`;
    launcher = startNs(root, ["run", ...(options.runArgs ?? []), "--pid-file", pidFile, "--bundle", bundle.dir, id]);
    await during(await waitForPidFile(pidFile), launcher);
    const result = await launcher.done;
    finished = true;
    return result;
  } finally {
    if (launcher && !finished) {
      launcher.kill("SIGKILL");
      await launcher.done;
      ns(root, ["delete", "--force", id]);
    }
    bundle.remove();
  }
}

/**
 * Whether process pid has a handler for signal number, as SigCgt in its
 * status shows. The init stage (Bun) handles signals of its own until it
 * executes the container's process, so it never counts.
 */
export function catchesSignal(pid: number, signal: number): boolean {
  if (readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("ns-init")) return false;
  const caught = BigInt(`0x${statusFields(readFileSync(`/proc/${pid}/status`, "utf8")).SigCgt}`);
  return (caught & (1n << BigInt(signal - 1))) !== 0n;
}

/** Waits until a pid file contains a number and returns it. */
export function waitForPidFile(path: string): Promise<number> {
  return waitFor(`pid file ${path}`, () => {
    if (!existsSync(path)) return undefined;
    const text = readFileSync(path, "utf8").trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  });
}

/** Runs a host command and returns its stdout; throws with its stderr when it fails. */
export function host(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited with ${r.status}: ${(r.stderr ?? "").trim()}`);
  return r.stdout;
}

/** Expects stderr to be one error line that contains every part, with no stack trace. */
export function expectOneLineError(stderr: string, ...parts: string[]): void {
  const lines = stderr.split("\n").filter((line) => line !== "");
  expect(lines).toHaveLength(1);
  expect(stderr).not.toContain("    at ");
  for (const part of parts) expect(lines[0]).toContain(part);
}
