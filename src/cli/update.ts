// ns update: change the cgroup resources of a running container, from
// runc's flags or a linux.resources JSON file.
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { CgroupError, type LinuxResources } from "../cgroups/index.ts";
import { ConfigError, fieldPath } from "../config/error.ts";
import { parseJson } from "../config/json.ts";
import type { Spec } from "../config/schema.ts";
import { resourcesSchema } from "../config/schema/resources.ts";
import { issueMessage } from "../config/schema/types.ts";
import { checkResources } from "../config/validate/linux.ts";
import { describeError, UserError } from "../errors.ts";
import { log } from "../log.ts";
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";

const RESOURCES = "linux.resources";

/** Each resource flag and the OCI field it sets, so that errors can name the flag. */
const FLAG_FIELDS: Readonly<Record<string, string>> = {
  memory: `${RESOURCES}.memory.limit`,
  "memory-reservation": `${RESOURCES}.memory.reservation`,
  "memory-swap": `${RESOURCES}.memory.swap`,
  "cpu-share": `${RESOURCES}.cpu.shares`,
  "cpu-shares": `${RESOURCES}.cpu.shares`,
  "cpu-quota": `${RESOURCES}.cpu.quota`,
  "cpu-period": `${RESOURCES}.cpu.period`,
  "cpu-rt-runtime": `${RESOURCES}.cpu.realtimeRuntime`,
  "cpu-rt-period": `${RESOURCES}.cpu.realtimePeriod`,
  "cpuset-cpus": `${RESOURCES}.cpu.cpus`,
  "cpuset-mems": `${RESOURCES}.cpu.mems`,
  "pids-limit": `${RESOURCES}.pids.limit`,
  "blkio-weight": `${RESOURCES}.blockIO.weight`,
};

const UNIT_SHIFT: Readonly<Record<string, number>> = { "": 0, k: 10, m: 20, g: 30, t: 40, p: 50 };

/**
 * Parses a size in bytes as runc's flags take it: "-1" (unlimited), a number,
 * or a number with a binary unit, such as 512m, 1g, 64MiB or 2 GB. The error
 * names the option.
 */
export function parseBytes(text: string, option: string): number {
  if (text.trim() === "-1") return -1;
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp]?)i?b?$/i.exec(text.trim());
  if (!m) throw new UserError(`--${option}: expected a size such as 512m, 1g or -1 for unlimited, got "${text}"`, 2);
  const bytes = Math.round(Number(m[1]) * 2 ** UNIT_SHIFT[m[2]!.toLowerCase()]!);
  if (!Number.isSafeInteger(bytes)) throw new UserError(`--${option}: ${text} is too large`, 2);
  return bytes;
}

function resourcesFromFlags(o: ParsedArgs["options"]): LinuxResources {
  const r: LinuxResources = {};
  const memory: NonNullable<LinuxResources["memory"]> = {};
  if (o.memory !== undefined) memory.limit = parseBytes(String(o.memory), "memory");
  if (o["memory-reservation"] !== undefined) memory.reservation = parseBytes(String(o["memory-reservation"]), "memory-reservation");
  if (o["memory-swap"] !== undefined) memory.swap = parseBytes(String(o["memory-swap"]), "memory-swap");
  if (Object.keys(memory).length > 0) r.memory = memory;
  const cpu: NonNullable<LinuxResources["cpu"]> = {};
  const shares = o["cpu-share"] ?? o["cpu-shares"];
  if (shares !== undefined) cpu.shares = shares as number;
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

/**
 * Reads a --resources file ("-" for stdin): a linux.resources object, checked
 * with the rules that config.json's resources meet. Errors name the file and the field.
 */
function loadResourcesFile(file: string): LinuxResources {
  const label = `--resources ${file === "-" ? "(stdin)" : file}`;
  let json: unknown;
  try {
    json = parseJson(readFileSync(file === "-" ? "/dev/stdin" : file, "utf8"));
  } catch (error) {
    throw new UserError(`${label}: ${describeError(error)}`, 1, { cause: error });
  }
  const result = v.safeParse(resourcesSchema, json, { abortEarly: true, message: issueMessage });
  if (!result.success) {
    const keys = (result.issues[0].path ?? []).map((item) => item.key as string | number);
    throw new ConfigError(fieldPath(["linux", "resources", ...keys]), result.issues[0].message, label);
  }
  const resources = result.output as LinuxResources;
  try {
    checkResources({ ociVersion: "1.2.0", linux: { resources: result.output } } as Spec);
  } catch (error) {
    if (error instanceof ConfigError) throw error.inFile(label);
    throw error;
  }
  // A container's device list is "deny all", its own rules, then the devices
  // that every container gets, and replacing it on a live container would
  // briefly deny them all. An empty list changes nothing, as with runc.
  if (resources.devices?.length === 0) delete resources.devices;
  if (resources.devices !== undefined) {
    throw new UserError(`${label}: ${RESOURCES}.devices: ns update does not change the device rules of a container (remove the field)`);
  }
  return resources;
}

/** Rewrites the OCI field that starts an error message into the flag that set it, with its value. */
function nameFlag(message: string, options: ParsedArgs["options"]): string {
  for (const [flag, field] of Object.entries(FLAG_FIELDS)) {
    if (options[flag] !== undefined && message.startsWith(`${field}: `)) {
      return `--${flag} ${String(options[flag])}: ${message.slice(field.length + 2)}`;
    }
  }
  return message;
}

function isPlainObject(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Merges updated resources into the recorded ones. Objects such as memory
 * and cpu merge field by field, and lists such as hugepageLimits are replaced.
 */
export function mergeResources(recorded: Record<string, unknown>, update: LinuxResources): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...recorded };
  for (const [key, value] of Object.entries(update)) {
    if (value === undefined) continue;
    const old = merged[key];
    merged[key] = isPlainObject(value) && isPlainObject(old) ? { ...old, ...value } : value;
  }
  return merged;
}

export default function update(args: ParsedArgs, globals: Globals): number {
  const id = args.positionals.id as string;
  const o = args.options;
  for (const flag of ["l3-cache-schema", "mem-bw-schema"]) {
    if (o[flag] !== undefined) throw new UserError(`--${flag}: Intel RDT is not supported by ns`);
  }
  const ignored = ["kernel-memory", "kernel-memory-tcp"].filter((flag) => o[flag] !== undefined);
  for (const flag of ignored) log("warn", `--${flag}: kernel memory limits are ignored, as by runc`);
  const fromFile = o.resources !== undefined;
  let resources: LinuxResources;
  if (fromFile) {
    const flags = Object.keys(FLAG_FIELDS).filter((flag) => o[flag] !== undefined);
    if (flags.length > 0) throw new UserError(`update: --resources replaces the resource options, so drop --${flags[0]}`, 2);
    resources = loadResourcesFile(o.resources as string);
  } else {
    resources = resourcesFromFlags(o);
    if (Object.keys(resources).length === 0) {
      if (ignored.length > 0) return 0;
      throw new UserError("update: give at least one resource option or --resources FILE", 2);
    }
  }

  const store = new StateStore(globals.root);
  store.withLock(id, () => {
    const container = Container.load(store, id);
    const status = container.status();
    if (status === "stopped" || status === "creating") throw new UserError(`cannot update container "${id}": it is ${status}`);
    const cgroup = container.cgroup;
    if (cgroup === undefined) throw new UserError(`cannot update container "${id}": it has no cgroup`);
    try {
      cgroup.update(resources);
    } catch (error) {
      if (!(error instanceof CgroupError)) throw error;
      const message = fromFile ? `--resources ${o.resources}: ${error.message}` : nameFlag(error.message, o);
      throw new UserError(`cannot update container "${id}": ${message}`, 1, { cause: error });
    }
    const config = container.record.config as { linux?: { resources?: Record<string, unknown> } };
    config.linux ??= {};
    config.linux.resources = mergeResources(config.linux.resources ?? {}, resources);
    store.write(container.record);
  });
  return 0;
}
