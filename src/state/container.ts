// A container as the lifecycle commands see it: its record, its status now,
// its cgroup, and the operations on it that need all three.
import { loadCgroup, removeEmptyCgroup, type Cgroup } from "../cgroups/index.ts";
import { describeError } from "../errors.ts";
import { close, pollIn, SyscallError } from "../ffi/libc.ts";
import { pidfdOpen, pidfdSendSignal } from "../ffi/pidfd.ts";
import { runHooks, type Hook } from "../hooks.ts";
import { teardown } from "../launcher/teardown.ts";
import { log } from "../log.ts";
import { isSameProcess } from "../proc.ts";
import { ociState, statusOf, type Status } from "./oci.ts";
import type { ContainerRecord, StateStore } from "./store.ts";

const SIGKILL = 9;
/** How long delete waits for a killed container process to exit. */
const EXIT_TIMEOUT_MS = 10_000;

export class Container {
  private cgroupCache: Cgroup | undefined | null = null;

  constructor(
    readonly store: StateStore,
    readonly record: ContainerRecord,
  ) {}

  /** Loads the container's record; a directory without state.json loads as "creating" or stale. */
  static load(store: StateStore, id: string): Container {
    return new Container(store, store.load(id));
  }

  get id(): string {
    return this.record.id;
  }

  get dir(): string {
    return this.store.dir(this.record.id);
  }

  get cgroup(): Cgroup | undefined {
    if (this.cgroupCache === null) {
      const paths = this.record.cgroupPaths;
      this.cgroupCache = paths && Object.keys(paths).length > 0 ? loadCgroup(paths, this.record.cgroupOwnedTop ?? {}) : undefined;
    }
    return this.cgroupCache;
  }

  status(): Status {
    return statusOf(this.record, this.dir, () => {
      try {
        return this.cgroup?.frozen() ?? false;
      } catch {
        return false;
      }
    });
  }

  /** Returns whether the recorded pid is still the container's process (same start time, not a zombie). */
  alive(): boolean {
    return isSameProcess(this.record.pid, this.record.startTime);
  }

  ociState(): Record<string, unknown> {
    const status = this.status();
    return {
      ...ociState({
        id: this.id,
        pid: status === "stopped" || status === "creating" ? 0 : this.record.pid,
        bundle: this.record.bundle,
        annotations: this.record.annotations,
        status,
      }),
      rootfs: this.record.rootfs,
      created: this.record.created,
      owner: "",
    };
  }

  /**
   * Opens a pidfd on the container process, or returns undefined when the
   * recorded pid no longer names it. The pidfd stays bound to the process it
   * was opened for, and that process is the container's when its start time,
   * read after the open, still matches the record: a pid cannot be reused
   * while its process exists.
   */
  openProcess(): number | undefined {
    if (this.record.pid <= 0) return undefined;
    let pidfd: number;
    try {
      pidfd = pidfdOpen(this.record.pid);
    } catch (e) {
      if (e instanceof SyscallError && e.code === "ESRCH") return undefined;
      throw e;
    }
    if (!this.alive()) {
      close(pidfd);
      return undefined;
    }
    return pidfd;
  }

  /**
   * Sends sig to the container process, or with `all` to every process in
   * its cgroup. Returns false when there was no process left to signal.
   */
  signal(sig: number, all: boolean): boolean {
    if (all && this.cgroup) return this.signalCgroup(sig);
    const pidfd = this.openProcess();
    if (pidfd === undefined) return false;
    try {
      pidfdSendSignal(pidfd, sig, `container "${this.id}" process ${this.record.pid}`);
      return true;
    } catch (e) {
      if (e instanceof SyscallError && e.code === "ESRCH") return false;
      throw e;
    } finally {
      close(pidfd);
    }
  }

  /**
   * Signals every process of the cgroup. Each pid is pinned by a pidfd first
   * and signalled only if a second read of the cgroup still lists it, so a
   * process that exits meanwhile cannot hand its pid to one outside.
   */
  private signalCgroup(sig: number): boolean {
    const cgroup = this.cgroup!;
    const pinned = new Map<number, number>();
    try {
      for (const pid of cgroup.pids()) {
        try {
          pinned.set(pid, pidfdOpen(pid));
        } catch (e) {
          if (!(e instanceof SyscallError && e.code === "ESRCH")) throw e;
        }
      }
      const members = new Set(cgroup.pids());
      let sent = false;
      for (const [pid, pidfd] of pinned) {
        if (!members.has(pid)) continue;
        try {
          pidfdSendSignal(pidfd, sig, `container "${this.id}" process ${pid}`);
          sent = true;
        } catch (e) {
          if (!(e instanceof SyscallError && e.code === "ESRCH")) throw e;
        }
      }
      return sent;
    } finally {
      for (const pidfd of pinned.values()) close(pidfd);
    }
  }

  /**
   * Kills every process left, waits until the container process has exited,
   * removes the network, cgroup and state directory, then runs the poststop
   * hooks. Their failures only warn.
   */
  destroy(): void {
    const poststop = (this.record.config.hooks as { poststop?: Hook[] } | undefined)?.poststop;
    const stoppedState = { ...this.ociState(), status: "stopped", pid: 0 };

    const pidfd = this.openProcess();
    if (pidfd !== undefined) {
      try {
        if (this.status() === "paused") this.thaw();
        this.signal(SIGKILL, true);
        pidfdSendSignal(pidfd, SIGKILL, `container "${this.id}" process ${this.record.pid}`);
      } catch (e) {
        if (!(e instanceof SyscallError && e.code === "ESRCH")) throw e;
      }
      try {
        // A pidfd turns readable when its process exits (a zombie counts:
        // its parent, ns run or the host's reaper, collects it).
        if (!pollIn(pidfd, EXIT_TIMEOUT_MS)) {
          log("warn", `container "${this.id}": process ${this.record.pid} did not exit ${EXIT_TIMEOUT_MS / 1000} s after SIGKILL`);
        }
      } finally {
        close(pidfd);
      }
    }

    if (!this.cgroup && this.record.cgroupPending) {
      try {
        removeEmptyCgroup(this.record.cgroupPending);
      } catch (e) {
        log("warn", `remove cgroup of ${this.id}: ${describeError(e)}`);
      }
    }
    teardown(this.store, this.id, this.cgroup, this.record.network);
    runHooks("poststop", poststop, stoppedState);
  }

  thaw(): void {
    try {
      this.cgroup?.thaw();
    } catch (e) {
      log("warn", `container "${this.id}": thaw: ${describeError(e)}`);
    }
  }
}
