// ns pause: freeze every process of a running container.
import { UserError } from "../errors.ts";
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";

export default function pause(args: ParsedArgs, globals: Globals): number {
  const id = args.positionals.id as string;
  const store = new StateStore(globals.root);
  store.withLock(id, () => {
    const container = Container.load(store, id);
    const status = container.status();
    if (status !== "running" && status !== "created") throw new UserError(`cannot pause container "${id}": it is ${status}`);
    if (!container.cgroup) throw new UserError(`cannot pause container "${id}": it has no cgroup`);
    container.cgroup.freeze();
  });
  return 0;
}
