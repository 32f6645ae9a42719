// The library surface of ns: the operations of libcontainer's `namespaces`
// package, which ns grew from, with today's OCI config in place of
// container.json.

export { getNamespaceFlags, namespaceList, type NamespaceEntry, type NamespaceType } from "./namespaces.ts";
export { SyncPipe, type Message, type ParentMessage, type ChildMessage } from "./sync.ts";
export { createCommand } from "./launcher/command.ts";
export { init } from "./init/index.ts";
export { restoreParentDeathSignal } from "./init/pdeathsig.ts";
export { resolveUserSpec as setupUser, type ResolvedUser } from "./user.ts";
export type { Spec } from "./config/schema.ts";

import { resolve } from "node:path";
import { loadSpec } from "./config/load.ts";
import { requireProcess, validateSpec } from "./config/validate.ts";
import { buildExecSpec, lookPath } from "./init/finalize.ts";
import type { InitConfig } from "./init/config.ts";
import { execProcess } from "./ffi/trampoline.ts";
import { ContainerLaunch } from "./launcher/launch.ts";
import { superviseForeground } from "./launcher/supervise.ts";
import { log } from "./log.ts";
import { StateStore } from "./state/store.ts";

export interface ExecOptions {
  /** The container id; unique under `root`. */
  id: string;
  /** The bundle directory holding config.json. */
  bundle: string;
  /** The state root (default /run/ns). */
  root?: string;
  /** Replaces process.args of the config. */
  args?: string[];
}

/**
 * Runs the container of a bundle in the foreground and resolves with its
 * exit code (128+N for a signal N), as `ns run` does: libcontainer's Exec.
 */
export async function exec(options: ExecOptions): Promise<number> {
  const bundle = resolve(options.bundle);
  const { spec, file } = loadSpec(bundle);
  if (options.args && spec.process) spec.process.args = options.args;
  requireProcess(spec, file);
  for (const warning of validateSpec(spec, file)) log("warn", warning);
  const launch = new ContainerLaunch({
    id: options.id,
    bundle,
    spec,
    store: new StateStore(options.root ?? "/run/ns"),
    mode: "run",
    foreground: true,
    preserveFds: 0,
    noPivot: false,
    networkOptions: [],
    debug: false,
  });
  return superviseForeground(launch, { detach: false, keep: false });
}

/**
 * Drops capabilities, switches to the container's user, changes to its
 * working directory and executes its process; everything the process must
 * not inherit is close-on-exec by then. Call it in the init stage after the
 * rootfs is set up. Returns only by throwing.
 */
export function finalizeNamespace(config: InitConfig, warn: (message: string) => void = () => {}): never {
  const spec = buildExecSpec(config, warn);
  spec.file = lookPath(config.process.args[0]!, spec.env);
  return execProcess(spec);
}
