// ns list: the containers under the state root, as a table or JSON.
import { Container } from "../state/container.ts";
import { ociState } from "../state/oci.ts";
import { ContainerNotFoundError, StateStore } from "../state/store.ts";
import { describeError, UserError } from "../errors.ts";
import { log } from "../log.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";
import { writeStdout } from "../output.ts";

/** Builds the entry of a container whose record cannot be read: status "unknown", the other fields empty. */
function unknownState(id: string): Record<string, unknown> {
  return { ...ociState({ id, pid: 0, bundle: "", status: "unknown" }), rootfs: "", created: "", owner: "" };
}

export default function list(args: ParsedArgs, globals: Globals): number {
  const format = (args.options.format as string | undefined) ?? "table";
  if (format !== "table" && format !== "json") throw new UserError(`--format: expected table or json, got "${format}"`, 2);
  const store = new StateStore(globals.root);
  const states: Record<string, unknown>[] = [];
  for (const id of store.ids()) {
    try {
      states.push(Container.load(store, id).ociState());
    } catch (e) {
      // Deleted since ids() listed it.
      if (e instanceof ContainerNotFoundError) continue;
      // A corrupt state.json still takes the id, so the container is listed, with the reason on stderr.
      log("warn", describeError(e));
      states.push(unknownState(id));
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
