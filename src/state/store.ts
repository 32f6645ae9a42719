// Container state on disk: one directory per container under the state root
// (default /run/ns), holding state.json (written atomically by rename) and,
// until `ns start`, the exec fifo. A flock on the directory serializes the
// commands that change one container. The process that creates a container
// locks the directory before it appears under the id, and holds the lock until
// it writes the first state.json. So a directory without state.json is either
// being created (locked) or was left by a creator that died (unlocked, "stale").
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { close, flock, LOCK_EX, LOCK_NB, O_CLOEXEC, O_DIRECTORY, O_RDONLY, open, SyscallError, tryKill } from "../ffi/libc.ts";
import { renameNoReplace } from "../ffi/rename.ts";
import { UserError } from "../errors.ts";
import { parseJson, stringifyJson } from "../config/json.ts";

/** The record ns keeps of a container, from which the OCI state is derived. */
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
  /**
   * Cgroup directories a creator was about to make, noted before its mkdir:
   * a creator killed between the mkdir and the note of cgroupPaths leaves
   * only this. No process has joined them yet, so delete removes them only
   * while they are empty.
   */
  cgroupPending?: Record<string, string> | undefined;
  network?: unknown;
  /** The container's config, for exec defaults and the poststop hooks of delete. */
  config: Record<string, unknown>;
  /** The container process has been started (the exec fifo was read). */
  started: boolean;
  /** A launcher in the foreground owns the container (ns run without -d). */
  foreground: boolean;
  /**
   * Set only on records that load() makes up for a directory without
   * state.json: "creating" while its creator holds the lock, "stale" after
   * the creator died without finishing or cleaning up.
   */
  incomplete?: "creating" | "stale" | undefined;
}

/** The container id names no state directory. */
export class ContainerNotFoundError extends UserError {
  override name = "ContainerNotFoundError";
  constructor(readonly id: string) {
    super(`container "${id}" does not exist`);
  }
}

/** The container id is taken by an existing state directory. */
export class ContainerExistsError extends UserError {
  override name = "ContainerExistsError";
  constructor(readonly id: string) {
    super(`container "${id}" already exists (delete it first, or choose another id)`);
  }
}

/**
 * state.json exists but is not a record that ns wrote, so the container's
 * pid and cgroups are unknown. `ns delete --force` removes its directory.
 */
export class CorruptStateError extends UserError {
  override name = "CorruptStateError";
  constructor(
    readonly id: string,
    readonly file: string,
    problem: string,
  ) {
    super(`state of container "${id}": ${file} ${problem}; "ns delete --force ${id}" removes it`);
  }
}

/** ASCII only, so that length in characters is length in bytes. */
const ID_PATTERN = /^[\w+.-]+$/;

/** NAME_MAX of Linux file systems: the maximum length of one name in a directory, in bytes. */
const NAME_MAX = 255;
/** PID_MAX_LIMIT of 64-bit Linux (include/linux/threads.h), so a pid has at most 7 digits. */
const PID_MAX_LIMIT = 4_194_304;

/** Prefixes of the temporary names that claim() and remove() give a state directory: `PREFIX${id}:${pid}`. */
const CREATING_PREFIX = ".creating:";
/** What a creation in progress has made on the host (see noteProgress). */
const PROGRESS_FILE = "progress.json";
const REMOVING_PREFIX = ".removing:";
const ESRCH = 3;

/**
 * The maximum id length, 237: the longest name derived from an id, the
 * temporary `.removing:ID:PID`, must fit in NAME_MAX. The state directory
 * and the default cgroup directory are named ID.
 */
export const MAX_ID_LENGTH = NAME_MAX - REMOVING_PREFIX.length - ":".length - String(PID_MAX_LIMIT).length;

/** Rejects ids that could name a path outside the state root, or a name longer than the kernel allows. */
export function checkId(id: string): void {
  if (id === "" || !ID_PATTERN.test(id) || id === "." || id === "..") {
    throw new UserError(`invalid container id "${id}": use letters, digits, "_", "+", "-" and "." only (not "." or "..")`, 2);
  }
  if (id.length > MAX_ID_LENGTH) {
    throw new UserError(
      `invalid container id "${id.slice(0, 32)}...": ${id.length} characters long, but the maximum is ${MAX_ID_LENGTH}, ` +
        `because ns names directories after it and the kernel limits a name to ${NAME_MAX} bytes`,
      2,
    );
  }
}

export class StateStore {
  /** Lock fds held by this process from claim() until the first write() or remove(). */
  private readonly claims = new Map<string, number>();
  /** Ids whose lock withLock() holds right now. */
  private readonly held = new Set<string>();

  constructor(readonly root: string) {}

  dir(id: string): string {
    return `${this.root}/${id}`;
  }

  /**
   * Creates the container's directory, locked until the first record is
   * written; an existing directory means the id is taken. The directory is
   * made and locked under a temporary name that no id can have, then
   * renamed to the id. So other commands never see it unlocked while its
   * creator lives, which they would take for the leftovers of a dead creator.
   */
  claim(id: string): string {
    checkId(id);
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    const dir = this.dir(id);
    const staging = `${this.root}/${CREATING_PREFIX}${id}:${process.pid}`;
    // Left by an earlier process with this pid that died between mkdir and rename.
    rmSync(staging, { recursive: true, force: true });
    this.removeAbandoned();
    mkdirSync(staging, { mode: 0o711 });
    let fd = -1;
    try {
      fd = open(staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      flock(fd, LOCK_EX, staging);
      renameNoReplace(staging, dir);
    } catch (e) {
      if (fd >= 0) close(fd);
      rmSync(staging, { recursive: true, force: true });
      if (e instanceof SyscallError && e.code === "EEXIST") throw new ContainerExistsError(id);
      throw e;
    }
    this.claims.set(id, fd);
    return dir;
  }

  /**
   * Records, before the container is complete, what its creation has made
   * on the host so far (cgroups, network devices), so that `ns delete` can
   * remove them if the creator dies first. Fields merge into earlier notes.
   */
  noteProgress(id: string, made: Partial<Pick<ContainerRecord, "cgroupPaths" | "cgroupOwnedTop" | "cgroupPending" | "network" | "bundle" | "created">>): void {
    const file = `${this.dir(id)}/${PROGRESS_FILE}`;
    let earlier: Partial<ContainerRecord> = {};
    try {
      earlier = parseJson(readFileSync(file, "utf8")) as Partial<ContainerRecord>;
    } catch {
      // The first note.
    }
    const tmp = `${file}.${process.pid}`;
    writeFileSync(tmp, stringifyJson({ ...earlier, ...made }, ""), { mode: 0o600 });
    renameSync(tmp, file);
  }

  /** Replaces state.json atomically: readers see the old record or the new one, never a part. */
  write(record: ContainerRecord): void {
    const { incomplete: _incomplete, ...stored } = record;
    const dir = this.dir(record.id);
    const tmp = `${dir}/.state.json.${process.pid}`;
    writeFileSync(tmp, stringifyJson(stored, ""), { mode: 0o600 });
    renameSync(tmp, `${dir}/state.json`);
    this.release(record.id);
  }

  /**
   * Reads a container's record; throws ContainerNotFoundError when there is
   * none, and CorruptStateError when state.json is not a record of ns.
   */
  read(id: string): ContainerRecord {
    checkId(id);
    const file = `${this.dir(id)}/state.json`;
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") throw new ContainerNotFoundError(id);
      throw e;
    }
    let record: unknown;
    try {
      record = parseJson(text);
    } catch (e) {
      throw new CorruptStateError(id, file, `is not valid JSON (${(e as Error).message})`);
    }
    const r = record as Partial<ContainerRecord> | null;
    if (typeof r !== "object" || r === null || r.id !== id || typeof r.pid !== "number" || typeof r.startTime !== "string") {
      throw new CorruptStateError(id, file, "is not a state file of ns");
    }
    return record as ContainerRecord;
  }

  /**
   * Reads a container's record like read(). For a directory without
   * state.json it returns a placeholder whose `incomplete` is "creating"
   * while the creator holds the lock, and "stale" otherwise.
   */
  load(id: string): ContainerRecord {
    try {
      return this.read(id);
    } catch (e) {
      if (!(e instanceof ContainerNotFoundError) || !this.exists(id)) throw e;
    }
    let made: Partial<ContainerRecord> = {};
    try {
      made = parseJson(readFileSync(`${this.dir(id)}/${PROGRESS_FILE}`, "utf8")) as Partial<ContainerRecord>;
    } catch {
      // Nothing made on the host yet.
    }
    return {
      ociVersion: "",
      id,
      pid: 0,
      startTime: "",
      bundle: made.bundle ?? "",
      rootfs: "",
      created: made.created ?? "",
      config: {},
      started: false,
      foreground: false,
      cgroupPaths: made.cgroupPaths,
      cgroupOwnedTop: made.cgroupOwnedTop,
      cgroupPending: made.cgroupPending,
      network: made.network,
      incomplete: this.isLocked(id) ? "creating" : "stale",
    };
  }

  /** Returns whether a state directory exists for id. */
  exists(id: string): boolean {
    checkId(id);
    try {
      close(open(this.dir(id), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      return true;
    } catch (e) {
      if (e instanceof SyscallError && e.code === "ENOENT") return false;
      throw e;
    }
  }

  /** Ids of every container with a state directory, sorted. */
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

  /**
   * Removes the container's directory. It is first renamed to a name that
   * no id can have, so other commands see the whole directory or none of
   * it, never one whose state.json is already gone.
   */
  remove(id: string): void {
    checkId(id);
    const doomed = `${this.root}/${REMOVING_PREFIX}${id}:${process.pid}`;
    try {
      renameSync(this.dir(id), doomed);
      rmSync(doomed, { recursive: true, force: true });
    } catch (e) {
      if ((e as { code?: string }).code !== "ENOENT") throw e;
    } finally {
      this.release(id);
    }
  }

  /**
   * Removes the temporary directories of claim() and remove() whose process
   * has died, killed between its mkdir or rename and the step after. No id
   * names them, so nothing else would.
   */
  private removeAbandoned(): void {
    for (const name of readdirSync(this.root)) {
      if (!name.startsWith(CREATING_PREFIX) && !name.startsWith(REMOVING_PREFIX)) continue;
      const pid = Number(name.slice(name.lastIndexOf(":") + 1));
      if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || tryKill(pid, 0) !== ESRCH) continue;
      rmSync(`${this.root}/${name}`, { recursive: true, force: true });
    }
  }

  /** Runs fn holding the container's lock; throws ContainerNotFoundError for an unknown id. */
  withLock<T>(id: string, fn: () => T): T {
    checkId(id);
    // flock locks belong to the open file, so a second open in this process would wait for itself.
    if (this.claims.has(id) || this.held.has(id)) return fn();
    let fd: number;
    try {
      fd = open(this.dir(id), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } catch (e) {
      if (e instanceof SyscallError && e.code === "ENOENT") throw new ContainerNotFoundError(id);
      throw e;
    }
    try {
      flock(fd, LOCK_EX, this.dir(id));
      this.held.add(id);
      return fn();
    } finally {
      this.held.delete(id);
      close(fd);
    }
  }

  /** Returns whether another process holds the container's lock right now. */
  private isLocked(id: string): boolean {
    if (this.claims.has(id) || this.held.has(id)) return false;
    let fd: number;
    try {
      fd = open(this.dir(id), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } catch {
      return false;
    }
    try {
      return !flock(fd, LOCK_EX | LOCK_NB, this.dir(id));
    } finally {
      close(fd);
    }
  }

  private release(id: string): void {
    const fd = this.claims.get(id);
    if (fd === undefined) return;
    this.claims.delete(id);
    close(fd);
  }
}
