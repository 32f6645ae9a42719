// ns kill: send a signal to a container's process (or, with --all, to every process in it).
import { UserError } from "../errors.ts";
import { parseSignal } from "../signals.ts";
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";

const SIGKILL = 9;

export default function kill(args: ParsedArgs, globals: Globals): number {
  const id = args.positionals.id as string;
  const text = (args.positionals.signal as string | undefined) ?? "SIGTERM";
  // Signal 0, as in kill(1), only checks that the process exists.
  const signal = text === "0" ? 0 : parseSignal(text);
  const all = args.options.all === true;
  const store = new StateStore(globals.root);
  store.withLock(id, () => {
    const container = Container.load(store, id);
    const status = container.status();
    // runtime-spec runtime.md: kill is valid only for a created or running container.
    if (status !== "created" && status !== "running" && status !== "paused") {
      throw new UserError(`cannot kill container "${id}": it is ${status}, not created or running`);
    }
    if (!container.signal(signal, all)) throw new UserError(`cannot kill container "${id}": its process has exited`);
    // A frozen process acts on SIGKILL only once thawed.
    if (status === "paused" && signal === SIGKILL) container.cgroup?.thaw();
  });
  return 0;
}
