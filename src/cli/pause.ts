// ns pause: freeze every process of a running container.
import { UserError } from "../errors.ts";
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";

/** Freezes the container's cgroup and returns once the kernel reports every process stopped. */
export default function pause(args: ParsedArgs, globals: Globals): number {
  const id = args.positionals.id as string;
  const store = new StateStore(globals.root);
  store.withLock(id, () => {
    const container = Container.load(store, id);
    const status = container.status();
    if (status !== "running" && status !== "created") throw new UserError(`cannot pause container "${id}": it is ${status}`);
    const cgroup = container.cgroup;
    if (cgroup === undefined) throw new UserError(`cannot pause container "${id}": it has no cgroup to freeze`);
    // A frozen container that has not been started reports "created", so the
    // freezer state decides whether it is paused already.
    if (cgroup.frozen()) throw new UserError(`cannot pause container "${id}": it is paused already`);
    cgroup.freeze();
  });
  return 0;
}
