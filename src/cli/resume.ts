// ns resume: thaw a paused container.
import { UserError } from "../errors.ts";
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";

/** Thaws the container's cgroup and returns once the kernel reports it thawed. */
export default function resume(args: ParsedArgs, globals: Globals): number {
  const id = args.positionals.id as string;
  const store = new StateStore(globals.root);
  store.withLock(id, () => {
    const container = Container.load(store, id);
    const status = container.status();
    const cgroup = container.cgroup;
    // The freezer decides rather than the status, because a container
    // paused before `ns start` reports "created".
    if (status === "stopped" || status === "creating" || cgroup === undefined || !cgroup.frozen()) {
      throw new UserError(`cannot resume container "${id}": it is ${status}, not paused`);
    }
    cgroup.thaw();
  });
  return 0;
}
