// ns update: change the cgroup resources of a running container, from
// runc's flags or a linux.resources JSON file.
import { readFileSync } from "node:fs";
import { parseJson } from "../config/json.ts";
import { UserError } from "../errors.ts";
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import type { LinuxResources } from "../cgroups/types.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4 };

/** Parses "512m", "1g", "1048576" or "-1" (unlimited) into bytes; the error names the option. */
export function parseBytes(text: string, option: string): number {
  if (text === "-1") return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UserError(`--${option}: expected a size such as 512m or 1g, got "${text}"`, 2);
  return Math.round(Number(m[1]) * unit);
}

function resourcesFromFlags(o: ParsedArgs["options"]): LinuxResources {
  const r: LinuxResources = {};
  const memory: NonNullable<LinuxResources["memory"]> = {};
  if (o.memory !== undefined) memory.limit = parseBytes(String(o.memory), "memory");
  if (o["memory-reservation"] !== undefined) memory.reservation = parseBytes(String(o["memory-reservation"]), "memory-reservation");
  if (o["memory-swap"] !== undefined) memory.swap = parseBytes(String(o["memory-swap"]), "memory-swap");
  if (Object.keys(memory).length > 0) r.memory = memory;
  const cpu: NonNullable<LinuxResources["cpu"]> = {};
  if (o["cpu-shares"] !== undefined) cpu.shares = o["cpu-shares"] as number;
  if (o["cpu-quota"] !== undefined) cpu.quota = o["cpu-quota"] as number;
  if (o["cpu-period"] !== undefined) cpu.period = o["cpu-period"] as number;
  if (o["cpu-rt-runtime"] !== undefined) cpu.realtimeRuntime = o["cpu-rt-runtime"] as number;
  if (o["cpu-rt-period"] !== undefined) cpu.realtimePeriod = o["cpu-rt-period"] as number;
  if (o["cpuset-cpus"] !== undefined) cpu.cpus = o["cpuset-cpus"] as string;
  if (o["cpuset-mems"] !== undefined) cpu.mems = o["cpuset-mems"] as string;
  if (Object.keys(cpu).length > 0) r.cpu = cpu;
  if (o["pids-limit"] !== undefined) r.pids = { limit: o["pids-limit"] as number };
  if (o["blkio-weight"] !== undefined) r.blockIO = { weight: o["blkio-weight"] as number };
  return r;
}

export default function update(args: ParsedArgs, globals: Globals): number {
  const id = args.positionals.id as string;
  const o = args.options;
  let resources: LinuxResources;
  if (o.resources !== undefined) {
    const file = o.resources as string;
    try {
      resources = parseJson(readFileSync(file === "-" ? "/dev/stdin" : file, "utf8")) as LinuxResources;
    } catch (e) {
      throw new UserError(`--resources ${file}: ${(e as Error).message}`);
    }
  } else {
    resources = resourcesFromFlags(o);
    if (Object.keys(resources).length === 0) throw new UserError("update: give at least one resource option or --resources FILE", 2);
  }
  const store = new StateStore(globals.root);
  store.withLock(id, () => {
    const container = Container.load(store, id);
    const status = container.status();
    if (status === "stopped") throw new UserError(`cannot update container "${id}": it is stopped`);
    if (!container.cgroup) throw new UserError(`cannot update container "${id}": it has no cgroup`);
    container.cgroup.update(resources);
    const config = container.record.config as { linux?: { resources?: Record<string, unknown> } };
    config.linux ??= {};
    config.linux.resources = { ...(config.linux.resources ?? {}), ...resources };
    store.write(container.record);
  });
  return 0;
}
