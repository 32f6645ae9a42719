// ns kill: send a signal to a container's process (or, with --all, to every process in it).
import { UserError } from "../errors.ts";
import { parseSignal } from "../signals.ts";
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";

export default function kill(args: ParsedArgs, globals: Globals): number {
  const id = args.positionals.id as string;
  const signal = parseSignal((args.positionals.signal as string | undefined) ?? "SIGTERM");
  const store = new StateStore(globals.root);
  store.withLock(id, () => {
    const container = Container.load(store, id);
    const status = container.status();
    if (status === "stopped") throw new UserError(`cannot kill container "${id}": it is not running`);
    container.signal(signal, args.options.all === true);
  });
  return 0;
}
