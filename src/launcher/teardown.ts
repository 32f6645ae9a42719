// Removing what a container made on the host, and the pid file.
import { renameSync, rmSync, writeFileSync } from "node:fs";
import type { Cgroup } from "../cgroups/index.ts";
import { describeError, UserError } from "../errors.ts";
import { log } from "../log.ts";
import type { StateStore } from "../state/store.ts";

/** Removes the network, the cgroup and the state directory of a container; errors are logged, not thrown. */
export function teardown(store: StateStore, id: string, cgroup: Cgroup | undefined, network: unknown): void {
  if (network) {
    try {
      const { teardownHostSide } = require("../network/index.ts") as typeof import("../network/index.ts");
      teardownHostSide(network as never);
    } catch (e) {
      log("warn", `remove network of ${id}: ${(e as Error).message}`);
    }
  }
  if (cgroup) {
    try {
      cgroup.destroy();
    } catch (e) {
      log("warn", `remove cgroup of ${id}: ${(e as Error).message}`);
    }
  }
  store.remove(id);
}

/** Writes pid to path atomically, as OCI clients read it while it is written. */
export function writePidFile(path: string, pid: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, String(pid));
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`--pid-file ${path}: ${describeError(e)}`, 1, { cause: e });
  }
}
