// The init stage's input, built from the config and what the launcher has
// made so far.
import type { Spec } from "../config/schema.ts";
import type { InitConfig } from "../init/config.ts";
import { log } from "../log.ts";
import { CLONE_NEWCGROUP, CLONE_NEWUTS, hasNamespace, type NamespaceEntry } from "../namespaces.ts";
import type { EncodedFilter } from "../seccomp/load.ts";
import { unshareIpcLater } from "./command.ts";
import type { LaunchOptions } from "./launch.ts";

const SIGKILL = 9;

export interface InitConfigSources {
  spec: Spec;
  opts: LaunchOptions;
  /** Absolute host path of the rootfs. */
  rootfs: string;
  /** linux.namespaces, with a `--network netns:PATH` applied. */
  namespaces: readonly NamespaceEntry[];
  flags: number;
  cgroupPath: string | undefined;
  network: unknown;
  execFifo: string | undefined;
  hookState: Record<string, unknown>;
}

/** Returns the "config" message for the init stage. */
export function buildInitConfig(o: InitConfigSources): InitConfig {
  const spec = o.spec;
  const linux = spec.linux ?? {};
  const process = spec.process!;
  const hooks = spec.hooks ?? {};
  const userNamespace = hasNamespace(o.namespaces, "user");
  return {
    id: o.opts.id,
    bundle: o.opts.bundle,
    rootfs: o.rootfs,
    readonlyRoot: spec.root?.readonly === true && !o.opts.hostRoot,
    hostRoot: o.opts.hostRoot === true,
    noPivot: o.opts.noPivot,
    process: process as InitConfig["process"],
    hostname: spec.hostname,
    domainname: spec.domainname,
    mounts: (spec.mounts ?? []) as InitConfig["mounts"],
    devices: (linux.devices ?? []) as InitConfig["devices"],
    maskedPaths: linux.maskedPaths ?? [],
    readonlyPaths: linux.readonlyPaths ?? [],
    sysctl: linux.sysctl ?? {},
    seccomp: linux.seccomp ? compileSeccomp(linux.seccomp) : undefined,
    rootfsPropagation: linux.rootfsPropagation,
    mountLabel: linux.mountLabel,
    userNamespace,
    mountNamespace: hasNamespace(o.namespaces, "mount"),
    setgroups: true,
    newCgroupNamespace: (o.flags & CLONE_NEWCGROUP) !== 0,
    unshareIpc: unshareIpcLater(o.flags),
    newUtsNamespace: (o.flags & CLONE_NEWUTS) !== 0,
    cgroupPath: o.cgroupPath,
    network: o.network,
    preserveFds: o.opts.preserveFds,
    execFifo: o.execFifo,
    terminal: process.terminal === true,
    runtimeHooks: (hooks.prestart?.length ?? 0) + (hooks.createRuntime?.length ?? 0) > 0,
    createContainerHooks: (hooks.createContainer ?? []) as InitConfig["createContainerHooks"],
    startContainerHooks: (hooks.startContainer ?? []) as InitConfig["startContainerHooks"],
    hookState: o.hookState,
    parentDeathSignal: o.opts.foreground ? SIGKILL : 0,
    debug: o.opts.debug,
  };
}

/** Compiles linux.seccomp; the compiler and its syscall tables load only for configs that have one. */
function compileSeccomp(seccomp: NonNullable<NonNullable<Spec["linux"]>["seccomp"]>): EncodedFilter {
  const { encodeSeccomp } = require("../seccomp/index.ts") as typeof import("../seccomp/index.ts");
  return encodeSeccomp(seccomp as never, (message) => log("info", message));
}
