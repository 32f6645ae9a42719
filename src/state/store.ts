// Container state on disk: one directory per container under the state root
// (default /run/ns), holding state.json (written atomically by rename) and,
// until `ns start`, the exec fifo. A flock on the directory serializes the
// commands that change one container.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { close, flock, LOCK_EX, O_CLOEXEC, O_DIRECTORY, O_RDONLY, open, SyscallError } from "../ffi/libc.ts";
import { UserError } from "../errors.ts";
import { parseJson, stringifyJson } from "../config/json.ts";

/** What ns records of a container; the OCI state is derived from it. */
export interface ContainerRecord {
  ociVersion: string;
  id: string;
  /** The init process (later the container process), or 0 while creating. */
  pid: number;
  /** Field 22 of /proc/PID/stat when the container started, to detect a reused pid. */
  startTime: string;
  bundle: string;
  rootfs: string;
  created: string;
  annotations?: Record<string, string> | undefined;
  /** Cgroup directories per hierarchy, for update, pause, stats and teardown. */
  cgroupPaths?: Record<string, string> | undefined;
  cgroupPath?: string | undefined;
  /** Per hierarchy, the highest cgroup directory ns created for the container (removed with it). */
  cgroupOwnedTop?: Record<string, string> | undefined;
  network?: unknown;
  /** The container's config, for exec defaults and the poststop hooks of delete. */
  config: Record<string, unknown>;
  /** The container process has been started (the exec fifo was read). */
  started: boolean;
  /** A launcher in the foreground owns the container (ns run without -d). */
  foreground: boolean;
}

const ID_PATTERN = /^[\w+.-]+$/;

/** Rejects ids that could name a path outside the state root. */
export function checkId(id: string): void {
  if (!ID_PATTERN.test(id) || id === "." || id === ".." || id.length > 1024) {
    throw new UserError(`invalid container id "${id}": use letters, digits, "_", "+", "-" and "." only`);
  }
}

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return `${this.root}/${id}`;
  }

  /** Creates the container's directory; an existing one means the id is taken. */
  claim(id: string): string {
    checkId(id);
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    const dir = this.dir(id);
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (e) {
      if ((e as { code?: string }).code === "EEXIST") throw new UserError(`container "${id}" already exists`);
      throw e;
    }
    return dir;
  }

  write(record: ContainerRecord): void {
    const dir = this.dir(record.id);
    const tmp = `${dir}/.state.json.${process.pid}`;
    writeFileSync(tmp, stringifyJson(record, ""));
    renameSync(tmp, `${dir}/state.json`);
  }

  /** Reads a container's record; throws "does not exist" for an unknown id. */
  read(id: string): ContainerRecord {
    checkId(id);
    let text: string;
    try {
      text = readFileSync(`${this.dir(id)}/state.json`, "utf8");
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") throw new UserError(`container "${id}" does not exist`);
      throw e;
    }
    return parseJson(text) as ContainerRecord;
  }

  /** Ids of every container with a state directory. */
  ids(): string[] {
    try {
      return readdirSync(this.root, { withFileTypes: true })
        .filter((d) => d.isDirectory() && ID_PATTERN.test(d.name))
        .map((d) => d.name)
        .sort();
    } catch {
      return [];
    }
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  /** Runs fn holding the container's lock. */
  withLock<T>(id: string, fn: () => T): T {
    checkId(id);
    let fd: number;
    try {
      fd = open(this.dir(id), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } catch (e) {
      if (e instanceof SyscallError && e.code === "ENOENT") throw new UserError(`container "${id}" does not exist`);
      throw e;
    }
    try {
      flock(fd, LOCK_EX, this.dir(id));
      return fn();
    } finally {
      close(fd);
    }
  }
}
