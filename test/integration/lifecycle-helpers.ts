// Helpers for the lifecycle, hooks, exec and security tests: running ns so
// that a detached container cannot hold the test's pipes open, reading the
// OCI state, and waiting for a status.
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NS } from "../helpers/bundle.ts";

export interface NsOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export interface NsCallOptions {
  /** The ns executable; the default is the one under test. */
  bin?: string;
  cwd?: string;
  /** Global options before the command, after --root. */
  globals?: string[];
  /** fds given to ns from 3 on, for --preserve-fds. */
  extraFds?: number[];
  timeoutMs?: number;
}

/**
 * Runs `ns --root ROOT ARGS...`. stdout and stderr go to files, not pipes:
 * a container started by create or run -d inherits them, and a pipe would
 * keep the call waiting until the container exits.
 */
export function nsCall(root: string, args: string[], options: NsCallOptions = {}): NsOutput {
  const dir = mkdtempSync(join(tmpdir(), "ns-test-out-"));
  const out = openSync(join(dir, "stdout"), "w+");
  const err = openSync(join(dir, "stderr"), "w+");
  try {
    const r = spawnSync(options.bin ?? NS, ["--root", root, ...(options.globals ?? []), ...args], {
      cwd: options.cwd,
      stdio: ["ignore", out, err, ...(options.extraFds ?? [])],
      timeout: options.timeoutMs ?? 60_000,
    });
    return {
      code: r.status ?? 128 + (r.signal === "SIGKILL" ? 9 : 15),
      stdout: readFileSync(join(dir, "stdout"), "utf8"),
      stderr: readFileSync(join(dir, "stderr"), "utf8"),
    };
  } finally {
    closeSync(out);
    closeSync(err);
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface OciState {
  ociVersion: string;
  id: string;
  status: string;
  pid: number;
  bundle: string;
  annotations: Record<string, string>;
}

/** `ns state ID`, parsed; throws with ns's message when it fails. */
export function stateOf(root: string, id: string, bin?: string): OciState {
  const r = nsCall(root, ["state", id], bin === undefined ? {} : { bin });
  if (r.code !== 0) throw new Error(`ns state ${id} exited with ${r.code}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as OciState;
}

/** Polls `ns state` until the status is `status`; throws after timeoutMs with the last status seen. */
export function waitForStatus(root: string, id: string, status: string, timeoutMs = 10_000): OciState {
  const deadline = Date.now() + timeoutMs;
  let last = stateOf(root, id);
  while (last.status !== status) {
    if (Date.now() > deadline) throw new Error(`container ${id} is still ${last.status} after ${timeoutMs} ms, expected ${status}`);
    Bun.sleepSync(20);
    last = stateOf(root, id);
  }
  return last;
}

/** Polls until fn returns true; returns false after timeoutMs. */
export function waitUntil(fn: () => boolean, timeoutMs = 5_000): boolean {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) return false;
    Bun.sleepSync(10);
  }
  return true;
}

/** Returns whether pid names a live process (not a zombie). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Checks that a failed command printed one line, without a stack trace. */
export function isOneLineError(r: NsOutput): boolean {
  const lines = r.stderr.trim().split("\n");
  return r.code !== 0 && lines.length === 1 && lines[0]!.startsWith("ns: ") && !r.stderr.includes("    at ");
}

/** Opens a file for writing as an fd to pass to ns; the caller closes it. */
export function openForWriting(path: string): number {
  return openSync(path, "w");
}
