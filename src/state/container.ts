// A container as the lifecycle commands see it: its record, its status now,
// its cgroup, and the operations on it that need all three.
import { loadCgroup, type Cgroup } from "../cgroups/index.ts";
import { tryKill } from "../ffi/libc.ts";
import { runHooks, type Hook } from "../hooks.ts";
import { teardown } from "../launcher/launch.ts";
import { log } from "../log.ts";
import { isSameProcess } from "../proc.ts";
import { ociState, statusOf, type Status } from "./oci.ts";
import type { ContainerRecord, StateStore } from "./store.ts";

export class Container {
  private cgroupCache: Cgroup | undefined | null = null;

  constructor(
    readonly store: StateStore,
    readonly record: ContainerRecord,
  ) {}

  static load(store: StateStore, id: string): Container {
    return new Container(store, store.read(id));
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

  /** Whether the recorded pid is still the container's process. */
  alive(): boolean {
    return isSameProcess(this.record.pid, this.record.startTime);
  }

  ociState(): Record<string, unknown> {
    const status = this.status();
    return {
      ...ociState({
        id: this.id,
        pid: status === "stopped" ? 0 : this.record.pid,
        bundle: this.record.bundle,
        annotations: this.record.annotations,
        status,
      }),
      rootfs: this.record.rootfs,
      created: this.record.created,
      owner: "",
    };
  }

  /** Sends sig to the container process, or with all to every process in its cgroup. */
  signal(sig: number, all: boolean): void {
    if (all && this.cgroup) {
      for (const pid of this.cgroup.pids()) tryKill(pid, sig);
      return;
    }
    if (!this.alive()) return;
    const err = tryKill(this.record.pid, sig);
    if (err !== 0 && err !== 3 /* ESRCH */) throw new Error(`kill ${this.record.pid}: errno ${err}`);
  }

  /** Kills everything left, waits for it to go, and removes the container (poststop hooks included). */
  destroy(): void {
    if (this.alive()) {
      this.signal(9, true);
      tryKill(this.record.pid, 9);
      waitGone(this.record.pid, this.record.startTime);
    }
    teardown(this.store, this.id, this.cgroup, this.record.network);
    const hooks = (this.record.config.hooks as { poststop?: Hook[] } | undefined)?.poststop;
    try {
      runHooks("poststop", hooks, { ...this.ociState(), status: "stopped" });
    } catch (e) {
      log("warn", (e as Error).message);
    }
  }
}

/** Waits until pid is gone or a zombie (its parent, not us, reaps it), for up to 10 s. */
function waitGone(pid: number, startTime: string): void {
  const deadline = Date.now() + 10_000;
  while (isSameProcess(pid, startTime) && Date.now() < deadline) Bun.sleepSync(2);
}
