// Reading and writing cgroup interface files. Each value goes out in one
// write(2), because the kernel parses every write as one complete value
// (a devices.allow rule, an io.max line, a list of controllers).
import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { errnoName, errnoText, SyscallError } from "../ffi/libc.ts";
import { CgroupError, toSyscallError } from "./errors.ts";
import { explainWriteError } from "./hints.ts";

/** One write to a cgroup interface file, with the OCI field it comes from. */
export interface CgroupWrite {
  file: string;
  value: string;
  /** The OCI field path, such as "linux.resources.memory.limit", for the error message. */
  field: string;
}

/** A directory of one cgroup in one hierarchy. */
export class CgroupDir {
  constructor(readonly path: string) {}

  filePath(file: string): string {
    return join(this.path, file);
  }

  exists(file: string): boolean {
    return existsSync(this.filePath(file));
  }

  /** Reads an interface file, without the trailing newline. Throws SyscallError. */
  read(file: string): string {
    const path = this.filePath(file);
    try {
      return readFileSync(path, "utf8").replace(/\n$/, "");
    } catch (error) {
      throw toSyscallError(error, "read", path);
    }
  }

  /** Reads an interface file, or returns undefined when the kernel does not provide it. */
  readOptional(file: string): string | undefined {
    try {
      return this.read(file);
    } catch (error) {
      if (error instanceof SyscallError && error.code === "ENOENT") return undefined;
      throw error;
    }
  }

  /** Parses a file of "key value" lines, such as memory.stat or cgroup.events. */
  readKeyValues(file: string): Map<string, number> {
    return parseKeyValues(this.readOptional(file) ?? "");
  }

  /** Returns the names of the entries in the directory. */
  list(): string[] {
    try {
      return readdirSync(this.path);
    } catch (error) {
      throw toSyscallError(error, "opendir", this.path);
    }
  }

  /** Writes one value in a single write(2); the error names the field, the value, the file and the errno. */
  write(step: CgroupWrite): void {
    const path = this.filePath(step.file);
    let fd: number;
    try {
      // O_TRUNC changes nothing on cgroupfs, but it keeps a plain file
      // (the test fixtures that imitate cgroupfs) free of stale bytes.
      fd = openSync(path, constants.O_WRONLY | constants.O_TRUNC);
    } catch (error) {
      throw writeError(step, path, error);
    }
    try {
      writeSync(fd, step.value);
    } catch (error) {
      throw writeError(step, path, error);
    } finally {
      closeSync(fd);
    }
  }

  writeAll(steps: readonly CgroupWrite[]): void {
    for (const step of steps) this.write(step);
  }

  /** Returns the process ids listed in this cgroup's cgroup.procs. */
  procs(): number[] {
    return parsePids(this.readOptional("cgroup.procs") ?? "");
  }

  /** Returns the directories of the child cgroups, depth first, children before their parents. */
  descendants(): CgroupDir[] {
    const found: CgroupDir[] = [];
    for (const entry of readdirSafe(this.path)) {
      if (!entry.isDirectory()) continue;
      const child = new CgroupDir(join(this.path, entry.name));
      found.push(...child.descendants(), child);
    }
    return found;
  }
}

function readdirSafe(path: string) {
  try {
    return readdirSync(path, { withFileTypes: true });
  } catch (error) {
    const syscallError = toSyscallError(error, "opendir", path);
    if (syscallError instanceof SyscallError && syscallError.code === "ENOENT") return [];
    throw syscallError;
  }
}

function writeError(step: CgroupWrite, path: string, error: unknown): Error {
  const syscallError = toSyscallError(error, "write", path);
  if (!(syscallError instanceof SyscallError)) return syscallError as Error;
  const hint = explainWriteError(step.file, syscallError.code);
  const prefix = step.field === "" ? "" : `${step.field}: `;
  const reason = `${errnoName(syscallError.errno)} (${errnoText(syscallError.errno)})`;
  const message = `${prefix}cannot write ${JSON.stringify(step.value)} to ${path}: ${reason}.${hint === undefined ? "" : ` ${hint}`}`;
  return new CgroupError(message, { cause: syscallError });
}

/** Parses "key value" lines; values that are not numbers (such as "max") are left out. */
export function parseKeyValues(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [key, value] = line.trim().split(/\s+/);
    if (key === undefined || key === "" || value === undefined) continue;
    const number = Number(value);
    if (Number.isFinite(number)) values.set(key, number);
  }
  return values;
}

/** Parses the contents of cgroup.procs: one pid per line. */
export function parsePids(text: string): number[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => Number(line));
}
