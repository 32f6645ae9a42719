// ns delete: remove a stopped (or created) container; --force kills a running one first.
import { UserError } from "../errors.ts";
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";

export default function del(args: ParsedArgs, globals: Globals): number {
  const id = args.positionals.id as string;
  const force = args.options.force === true;
  const store = new StateStore(globals.root);
  try {
    store.withLock(id, () => {
      const container = Container.load(store, id);
      const status = container.status();
      if ((status === "running" || status === "paused") && !force) {
        throw new UserError(`cannot delete container "${id}": it is ${status} (stop it first, or use --force)`);
      }
      if (status === "paused") container.cgroup?.thaw();
      container.destroy();
    });
  } catch (e) {
    // runc returns success for --force on a container that does not exist.
    if (force && e instanceof UserError && e.message.endsWith("does not exist")) return 0;
    throw e;
  }
  return 0;
}
