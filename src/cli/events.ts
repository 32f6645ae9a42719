// ns events: the container's OOM events and, with --stats, its resource
// usage, as JSON lines like runc's ({"type": "stats"|"oom", "id", "data"}).
import type { OomWatcher } from "../cgroups/index.ts";
import { UserError } from "../errors.ts";
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";
import { writeStdout } from "../output.ts";

/** How often the event loop checks whether the container process still runs. */
const ALIVE_CHECK_MS = 100;

/** Parses "5s", "500ms", "1m" or a plain number of seconds into milliseconds. */
export function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UserError(`--interval: expected a duration such as 5s or 500ms, got "${text}"`, 2);
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  const ms = Number(m[1]) * scale;
  if (ms <= 0) throw new UserError(`--interval: must be more than zero, got "${text}"`, 2);
  return ms;
}

function statsEvent(container: Container): Record<string, unknown> {
  const data: Record<string, unknown> = { ...(container.cgroup?.stats() ?? {}) };
  if (container.record.network) {
    try {
      const { interfaceStats } = require("../network/index.ts") as typeof import("../network/index.ts");
      data.network_interfaces = interfaceStats(container.record.pid);
    } catch {
      // The network namespace is gone with the container.
    }
  }
  return { type: "stats", id: container.id, data };
}

function printEvent(event: Record<string, unknown>): void {
  writeStdout(JSON.stringify(event) + "\n");
}

export default function events(args: ParsedArgs, globals: Globals): number {
  const id = args.positionals.id as string;
  const interval = parseInterval((args.options.interval as string | undefined) ?? "5s");
  const container = Container.load(new StateStore(globals.root), id);
  const status = container.status();
  if (status === "stopped" || status === "creating") throw new UserError(`cannot read the events of container "${id}": it is ${status}`);
  if (args.options.stats) {
    printEvent(statsEvent(container));
    return 0;
  }

  // The watcher exists before the first line is printed, so a client that
  // waits for that line misses no OOM event after it.
  const watcher: OomWatcher | undefined = container.cgroup?.watchOom();
  try {
    watchEvents(container, watcher, interval);
  } finally {
    watcher?.close();
  }
  return 0;
}

/**
 * Prints an "oom" event for each OOM the watcher reports and a "stats" event
 * every `interval` ms, until the container process has exited. As runc does,
 * the first statistics come one interval after the start.
 */
function watchEvents(container: Container, watcher: OomWatcher | undefined, interval: number): void {
  let nextStats = Date.now() + interval;
  for (;;) {
    const timeout = Math.max(0, Math.min(ALIVE_CHECK_MS, nextStats - Date.now()));
    let oom = false;
    if (watcher === undefined) Bun.sleepSync(timeout);
    else oom = watcher.wait(timeout);
    if (oom) printEvent({ type: "oom", id: container.id });

    if (!container.alive()) {
      // The notification of the OOM kill that ended the process may still be unread.
      if (watcher?.wait(0)) printEvent({ type: "oom", id: container.id });
      return;
    }
    if (Date.now() >= nextStats) {
      printEvent(statsEvent(container));
      nextStats = Date.now() + interval;
    }
  }
}
