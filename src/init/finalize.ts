// What the init stage hands the trampoline for the final execve: the
// process's user, capabilities, limits, environment and program.
import { statSync } from "node:fs";
import { capabilityMask, lastCapability, maskToNames } from "../capabilities.ts";
import { UserError } from "../errors.ts";
import type { ExecSpec } from "../ffi/trampoline.ts";
import { rlimitTriples } from "../rlimits.ts";
import { homeOf } from "../user.ts";
import type { InitConfig } from "./config.ts";

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const DEFAULT_UMASK = 0o022;

/** The exec spec for the container process; call it after pivot_root, where /etc/passwd is the container's. */
export function buildExecSpec(config: InitConfig, warn: (message: string) => void): ExecSpec {
  const p = config.process;
  const env = [...(p.env ?? [])];
  if (!env.some((e) => e.startsWith("HOME="))) env.push(`HOME=${homeOf(p.user.uid, "/")}`);
  const spec: ExecSpec = {
    user: {
      uid: p.user.uid,
      gid: p.user.gid,
      additionalGids: p.user.additionalGids ?? [],
      setgroups: config.setgroups,
    },
    capabilities: capabilitySets(p.capabilities, warn),
    noNewPrivileges: p.noNewPrivileges === true,
    umask: p.user.umask ?? DEFAULT_UMASK,
    parentDeathSignal: config.parentDeathSignal,
    rlimits: rlimitTriples(p.rlimits),
    cwd: p.cwd,
    file: p.args[0]!,
    args: p.args,
    env,
    setsid: config.terminal,
  };
  return spec;
}

export interface CapabilityNames {
  bounding?: readonly string[] | undefined;
  effective?: readonly string[] | undefined;
  permitted?: readonly string[] | undefined;
  inheritable?: readonly string[] | undefined;
  ambient?: readonly string[] | undefined;
}

/**
 * The five capability sets as masks. Capabilities the running kernel does
 * not know are left out with a warning, and so are ambient capabilities that
 * are not also permitted and inheritable: the kernel refuses to raise those
 * (runc leaves them out silently).
 */
export function capabilitySets(caps: CapabilityNames | undefined, warn: (message: string) => void): NonNullable<ExecSpec["capabilities"]> {
  const last = lastCapability();
  const mask = (set: keyof CapabilityNames) =>
    capabilityMask(caps?.[set] ?? [], `process.capabilities.${set}`, {
      last,
      onUnavailable: (name) => warn(`process.capabilities.${set}: ${name} is not known to this kernel; left out`),
    });
  const sets = {
    last,
    bounding: mask("bounding"),
    effective: mask("effective"),
    permitted: mask("permitted"),
    inheritable: mask("inheritable"),
    ambient: mask("ambient"),
  };
  const raisable = sets.ambient & sets.permitted & sets.inheritable;
  if (raisable !== sets.ambient) {
    const dropped = maskToNames(sets.ambient & ~raisable).join(", ");
    warn(`process.capabilities.ambient: ${dropped} not in both permitted and inheritable; left out of the ambient set`);
    sets.ambient = raisable;
  }
  return sets;
}

function envValue(env: readonly string[], name: string): string | undefined {
  const entry = env.find((e) => e.startsWith(`${name}=`));
  return entry?.slice(name.length + 1);
}

function executable(path: string): "ok" | "missing" | "denied" {
  try {
    const st = statSync(path);
    if (!st.isFile()) return "denied";
    return st.mode & 0o111 ? "ok" : "denied";
  } catch {
    return "missing";
  }
}

/**
 * Finds the program the way the container's shell would, in the container's
 * PATH, before anything irreversible happens: a missing program is exit 127
 * and one that cannot be executed exit 126, as in a shell.
 */
export function lookPath(file: string, env: readonly string[]): string {
  if (file.includes("/")) {
    const state = executable(file);
    if (state === "missing") throw new UserError(`exec "${file}": no such file or directory`, 127);
    if (state === "denied") throw new UserError(`exec "${file}": permission denied`, 126);
    return file;
  }
  let denied = false;
  for (const dir of (envValue(env, "PATH") ?? DEFAULT_PATH).split(":")) {
    const candidate = `${dir || "."}/${file}`;
    const state = executable(candidate);
    if (state === "ok") return candidate;
    if (state === "denied") denied = true;
  }
  if (denied) throw new UserError(`exec "${file}": permission denied`, 126);
  throw new UserError(`exec "${file}": executable file not found in $PATH`, 127);
}
