// The exec spec the init stage hands the trampoline for the final execve: the
// process's user, capabilities, limits, environment and program.
import { mkdirSync, statSync } from "node:fs";
import { capabilityMask, lastCapability, maskToNames } from "../capabilities.ts";
import { describeError, UserError } from "../errors.ts";
import { isDirectory } from "../mounts/paths.ts";
import { prctl, SyscallError } from "../ffi/libc.ts";
import type { ExecSpec } from "../ffi/trampoline.ts";
import { rlimitTriples } from "../rlimits.ts";
import { loadableFilter } from "../seccomp/load.ts";
import { homeOf } from "../user.ts";
import type { InitConfig } from "./config.ts";

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const DEFAULT_UMASK = 0o022;

/**
 * Builds the exec spec for the container process and enters process.cwd (see
 * enterWorkingDirectory). Call it after pivot_root, where /etc/passwd is the
 * container's.
 */
export function buildExecSpec(config: InitConfig, warn: (message: string) => void): ExecSpec {
  const p = config.process;
  enterWorkingDirectory(p.cwd, !config.hostRoot);
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
    seccomp: config.seccomp ? loadableFilter(config.seccomp) : undefined,
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
  const last = kernelLastCapability();
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

/**
 * Creates process.cwd when the rootfs lacks it (unless create is false), as
 * runc does, and makes it the init stage's working directory, so that lookPath
 * resolves a relative program path or PATH entry as execve will. A chdir that
 * fails here (EACCES for a directory only the container's user may enter) is
 * left to ns_exec, which retries it after the user switch and reports it.
 * The zero-config mode passes create=false: there a missing cwd is one that a
 * fresh tmpfs covers, and an empty directory in its place would mislead.
 * NOTE: mountAll creates the cwd earlier when its context has one; this later
 * attempt runs after root.readonly took effect and then fails with EROFS.
 */
function enterWorkingDirectory(cwd: string, create: boolean): void {
  if (create && !isDirectory(cwd)) {
    try {
      mkdirSync(cwd, { recursive: true, mode: 0o755 });
    } catch (e) {
      throw new UserError(`process.cwd: ${describeError(e)}`);
    }
  }
  try {
    process.chdir(cwd);
  } catch {
    // ns_exec reports it.
  }
}

const PR_CAPBSET_READ = 23;

/**
 * Returns the highest capability the running kernel supports, from
 * /proc/sys/kernel/cap_last_cap. A container without a /proc mount has no such
 * file after pivot_root. There PR_CAPBSET_READ finds it, because it fails with
 * EINVAL for a capability the kernel lacks.
 */
function kernelLastCapability(): number {
  try {
    return lastCapability();
  } catch (e) {
    if (!(e instanceof SyscallError && e.code === "ENOENT")) throw e;
  }
  let last = 63;
  while (last > 0 && !capabilityKnown(last)) last--;
  return last;
}

function capabilityKnown(cap: number): boolean {
  try {
    prctl(PR_CAPBSET_READ, BigInt(cap));
    return true;
  } catch (e) {
    if (e instanceof SyscallError && e.code === "EINVAL") return false;
    throw e;
  }
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
