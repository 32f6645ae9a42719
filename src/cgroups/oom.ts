// Watching a cgroup for OOM events (for `ns events`). cgroup v1 notifies
// through an eventfd registered on memory.oom_control, so an OOM kill is
// seen even when the container's cgroup is removed right after it. Otherwise
// the oom_kill counter is polled.
import { close, O_CLOEXEC, O_RDONLY, open, pollIn } from "../ffi/libc.ts";
import { EFD_CLOEXEC, EFD_NONBLOCK, eventfd, readEventfd } from "../ffi/cgroups.ts";
import type { CgroupDir } from "./fs.ts";

/** A source of OOM events of one cgroup. */
export interface OomWatcher {
  /** Waits at most `timeoutMs` and returns true when the cgroup had an OOM event since the previous call. */
  wait(timeoutMs: number): boolean;
  close(): void;
}

/** How often PollingOomWatcher reads the counter. */
const POLL_MS = 20;

/**
 * How long the v1 watcher waits for the eventfd signal that the removal of
 * the cgroup sends, which follows the rmdir once the kernel has taken the
 * cgroup offline.
 */
const REMOVAL_SIGNAL_MS = 1_000;

/**
 * The cgroup v1 watcher. The kernel signals the eventfd at each OOM in the
 * cgroup and once more when the cgroup is removed, so after a removal every
 * signal beyond that last one is an OOM.
 */
class EventfdOomWatcher implements OomWatcher {
  private removed = false;

  constructor(
    private readonly dir: CgroupDir,
    private readonly eventFd: number,
    private readonly controlFd: number,
  ) {}

  wait(timeoutMs: number): boolean {
    if (this.removed) {
      Bun.sleepSync(timeoutMs);
      return false;
    }
    if (!pollIn(this.eventFd, timeoutMs)) return false;
    let signals = readEventfd(this.eventFd);
    // The removal signal comes after the rmdir, so while the directory
    // exists, every signal read so far was an OOM.
    if (this.dir.exists("cgroup.event_control")) return signals > 0n;

    this.removed = true;
    if (pollIn(this.eventFd, REMOVAL_SIGNAL_MS)) signals += readEventfd(this.eventFd);
    return signals > 1n;
  }

  close(): void {
    close(this.eventFd);
    close(this.controlFd);
  }
}

/**
 * Returns a watcher of the cgroup v1 memory controller's OOM notifications.
 * Throws SyscallError or CgroupError when the kernel does not offer them.
 */
export function watchOomV1(dir: CgroupDir): OomWatcher {
  const controlFd = open(dir.filePath("memory.oom_control"), O_RDONLY | O_CLOEXEC);
  let eventFd = -1;
  try {
    eventFd = eventfd(EFD_CLOEXEC | EFD_NONBLOCK);
    dir.write({ file: "cgroup.event_control", value: `${eventFd} ${controlFd}`, field: "" });
  } catch (error) {
    if (eventFd >= 0) close(eventFd);
    close(controlFd);
    throw error;
  }
  return new EventfdOomWatcher(dir, eventFd, controlFd);
}

/**
 * A watcher that polls an OOM kill counter, for cgroup v2 (memory.events) and
 * for cgroups without a memory controller (a counter that stays 0).
 *
 * NOTE: a kill that happens less than POLL_MS before the cgroup is removed
 * can be missed, because the counter goes with the cgroup.
 */
export class PollingOomWatcher implements OomWatcher {
  private last: number;

  constructor(private readonly count: () => number) {
    this.last = count();
  }

  wait(timeoutMs: number): boolean {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = this.count();
      if (now > this.last) {
        this.last = now;
        return true;
      }
      const left = deadline - Date.now();
      if (left <= 0) return false;
      Bun.sleepSync(Math.min(POLL_MS, left));
    }
  }

  close(): void {}
}
