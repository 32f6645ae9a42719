// ns list: the containers under the state root, as a table or JSON.
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import { UserError } from "../errors.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";
import { writeStdout } from "../output.ts";

export default function list(args: ParsedArgs, globals: Globals): number {
  const format = (args.options.format as string | undefined) ?? "table";
  if (format !== "table" && format !== "json") throw new UserError(`--format: expected table or json, got "${format}"`, 2);
  const store = new StateStore(globals.root);
  const states: Record<string, unknown>[] = [];
  for (const id of store.ids()) {
    try {
      states.push(Container.load(store, id).ociState());
    } catch {
      // A container being created or deleted right now has no complete state.
    }
  }
  if (args.options.quiet) {
    writeStdout(states.map((s) => `${s.id}\n`).join(""));
    return 0;
  }
  if (format === "json") {
    writeStdout(JSON.stringify(states) + "\n");
    return 0;
  }
  const rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]];
  for (const s of states) rows.push([String(s.id), String(s.pid), String(s.status), String(s.bundle), String(s.created), "root"]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  writeStdout(rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("   ")).join("\n") + "\n");
  return 0;
}
