// ns state: print a container's OCI state as JSON.
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";
import { writeStdout } from "../output.ts";

export default function state(args: ParsedArgs, globals: Globals): number {
  const container = Container.load(new StateStore(globals.root), args.positionals.id as string);
  writeStdout(JSON.stringify(container.ociState(), null, 2) + "\n");
  return 0;
}
