// ns events: the container's OOM events and, with --stats, its resource
// usage, as JSON lines like runc's ({"type": "stats"|"oom", "id", "data"}).
import { UserError } from "../errors.ts";
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";
import { writeStdout } from "../output.ts";

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

export default async function events(args: ParsedArgs, globals: Globals): Promise<number> {
  const id = args.positionals.id as string;
  const store = new StateStore(globals.root);
  const container = Container.load(store, id);
  if (container.status() === "stopped") throw new UserError(`container "${id}" is not running`);
  if (args.options.stats) {
    writeStdout(JSON.stringify(statsEvent(container)) + "\n");
    return 0;
  }
  const interval = parseInterval((args.options.interval as string | undefined) ?? "5s");
  let ooms = container.cgroup?.oomKillCount() ?? 0;
  let nextStats = Date.now() + interval;
  // OOM kills are polled from the cgroup's counter: a fast poll for them,
  // and stats at the interval, until the container stops.
  for (;;) {
    await Bun.sleep(Math.min(200, interval));
    if (!container.alive()) return 0;
    const now = container.cgroup?.oomKillCount() ?? 0;
    if (now > ooms) writeStdout(JSON.stringify({ type: "oom", id }) + "\n");
    ooms = now;
    if (Date.now() >= nextStats) {
      writeStdout(JSON.stringify(statsEvent(container)) + "\n");
      nextStats = Date.now() + interval;
    }
  }
}
