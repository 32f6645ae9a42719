// ns resume: thaw a paused container.
import { UserError } from "../errors.ts";
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";

export default function resume(args: ParsedArgs, globals: Globals): number {
  const id = args.positionals.id as string;
  const store = new StateStore(globals.root);
  store.withLock(id, () => {
    const container = Container.load(store, id);
    if (container.status() !== "paused") throw new UserError(`cannot resume container "${id}": it is not paused`);
    container.cgroup!.thaw();
  });
  return 0;
}
