// Running the commands the benchmark depends on, each with a time limit, so
// that a hung runtime ends the benchmark with an error instead of stalling it.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RunOptions {
  timeoutMs: number;
  /** What the command is for, to start the error message with. */
  purpose: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Accept a non-zero exit status instead of throwing. */
  allowFailure?: boolean;
  /**
   * Collect output through files instead of pipes. Needed for commands that
   * leave a process running with their stdio (ns create, runc create):
   * reading a pipe would wait for that process to exit.
   */
  outputToFiles?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, in milliseconds. */
  ms: number;
}

export class CommandError extends Error {
  override name = "CommandError";
}

/** Runs a command to completion; throws a CommandError on timeout or, unless allowed, a non-zero exit. */
export function run(file: string, args: readonly string[], options: RunOptions): RunResult {
  const dir = options.outputToFiles ? mkdtempSync(join(tmpdir(), "ns-bench-output-")) : undefined;
  const started = performance.now();
  let result;
  let ms: number;
  let stdout: string;
  let stderr: string;
  try {
    result = Bun.spawnSync([file, ...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdin: "ignore",
      stdout: dir ? Bun.file(join(dir, "stdout")) : "pipe",
      stderr: dir ? Bun.file(join(dir, "stderr")) : "pipe",
      timeout: options.timeoutMs,
      killSignal: "SIGKILL",
    });
    ms = performance.now() - started;
    stdout = dir ? readFileSync(join(dir, "stdout"), "utf8") : (result.stdout?.toString() ?? "");
    stderr = dir ? readFileSync(join(dir, "stderr"), "utf8") : (result.stderr?.toString() ?? "");
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  if (result.exitedDueToTimeout) {
    throw new CommandError(`${options.purpose}: timed out after ${options.timeoutMs} ms: ${file} ${args.join(" ")}`);
  }
  const code = result.exitCode ?? 128 + (result.signalCode ? 9 : 0);
  if (code !== 0 && !options.allowFailure) {
    const detail = stderr.trim().split("\n").slice(-3).join(" | ");
    throw new CommandError(`${options.purpose}: ${file} ${args.join(" ")} exited with ${code}${detail ? `: ${detail}` : ""}`);
  }
  return { code, stdout, stderr, ms };
}

/** Whether a program is on PATH. */
export function available(program: string): boolean {
  return Bun.which(program) !== null;
}
