// cgroup v1 net_prio controller: linux.resources.network.priorities.
import type { ControllerDriver } from "../controller.ts";
import { CgroupError } from "../errors.ts";
import type { CgroupWrite } from "../fs.ts";
import type { LinuxNetwork } from "../types.ts";
import { integerInRange, UINT32_MAX } from "../values.ts";

const FIELD = "linux.resources.network.priorities";

/** Plans one net_prio.ifpriomap write ("<interface> <priority>") per entry. */
export function planNetPrio(network: LinuxNetwork): CgroupWrite[] {
  return (network.priorities ?? []).map((entry, index) => {
    const field = `${FIELD}[${index}]`;
    if (entry.name === "" || /\s/.test(entry.name)) throw new CgroupError(`${field}.name: ${JSON.stringify(entry.name)} is not an interface name`);
    const priority = integerInRange(entry.priority, `${field}.priority`, 0n, UINT32_MAX);
    return { file: "net_prio.ifpriomap", value: `${entry.name} ${priority}`, field };
  });
}

export const netPrioV1: ControllerDriver = {
  controller: "net_prio",
  field: FIELD,
  isSet: (resources) => (resources.network?.priorities?.length ?? 0) > 0,
  plan: (resources) => planNetPrio(resources.network ?? {}),
};
