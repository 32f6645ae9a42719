// Log lines of the launcher and, relayed over the sync pipe, of the init
// stage. Text goes to stderr by default; `--log FILE --log-format json`
// writes the lines OCI clients such as containerd parse (level, msg, time).
import { openSync, writeSync } from "node:fs";
import { describeError, UserError } from "./errors.ts";
import { writeStderr } from "./output.ts";

export type Level = "error" | "warn" | "info" | "debug";

const RANK: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 };

interface LogConfig {
  /** The --log file, open for appending; -1 for none. */
  fd: number;
  format: "text" | "json";
  level: Level;
}

const config: LogConfig = { fd: -1, format: "text", level: "warn" };
const fields: Record<string, unknown> = {};
const started = performance.now();
let lastMark = started;

/**
 * Sets where and how log lines go. A --log file that cannot be opened is an
 * error, as with runc: an OCI client reads the file for the reason of a
 * failure and would find nothing there.
 */
export function configureLog(options: { file?: string | undefined; format?: "text" | "json"; debug?: boolean }): void {
  if (options.file === "") throw new UserError("--log: expected a file name, got an empty string", 2);
  if (options.file !== undefined) {
    try {
      config.fd = openSync(options.file, "a", 0o644);
    } catch (e) {
      throw new UserError(`--log ${options.file}: ${describeError(e)}`);
    }
  }
  config.format = options.format ?? "text";
  config.level = options.debug ? "debug" : "warn";
}

/** Adds fields (such as the container id) to every following line. */
export function logContext(extra: Record<string, unknown>): void {
  Object.assign(fields, extra);
}

export function debugEnabled(): boolean {
  return config.level === "debug";
}

export function log(level: Level, msg: string, extra: Record<string, unknown> = {}): void {
  if (RANK[level] > RANK[config.level]) return;
  let line: string;
  if (config.format === "json") {
    line = JSON.stringify({ level, msg, ...fields, ...extra, time: new Date().toISOString() });
  } else {
    const detail = Object.entries({ ...fields, ...extra })
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    line = `ns: ${level === "error" ? "" : `${level}: `}${msg}${detail && level === "debug" ? ` (${detail})` : ""}`;
  }
  if (config.fd >= 0) {
    try {
      writeSync(config.fd, line + "\n");
      if (level !== "error") return;
    } catch {
      // An unwritable log file must not hide the message: fall through to stderr.
    }
    // An error also goes to stderr, where a user at a terminal sees it.
    if (config.format === "json") line = `ns: ${msg}`;
  }
  writeStderr(line + "\n");
}

/** Records a debug timing: milliseconds since start and since the previous mark. */
export function mark(step: string): void {
  if (config.level !== "debug") return;
  const now = performance.now();
  log("debug", `step ${step}`, { step, ms: +(now - started).toFixed(3), delta: +(now - lastMark).toFixed(3) });
  lastMark = now;
}
