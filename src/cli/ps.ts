// ns ps: the processes of a container, from its cgroup.
import { spawnSync } from "node:child_process";
import { UserError } from "../errors.ts";
import { Container } from "../state/container.ts";
import { StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";
import { writeStdout } from "../output.ts";

export default function ps(args: ParsedArgs, globals: Globals): number {
  const id = args.positionals.id as string;
  const psArgs = (args.positionals["ps-args"] as string[] | undefined) ?? [];
  const format = (args.options.format as string | undefined) ?? "table";
  if (format !== "table" && format !== "json") throw new UserError(`--format: expected table or json, got "${format}"`, 2);
  if (format === "json" && psArgs.length > 0) {
    throw new UserError(`--format json prints only the pids, so it takes no ps arguments (got "${psArgs.join(" ")}")`, 2);
  }
  const container = Container.load(new StateStore(globals.root), id);
  if (container.status() === "stopped") throw new UserError(`container "${id}" is not running`);
  const pids = container.cgroup ? container.cgroup.pids() : [container.record.pid];
  if (format === "json") {
    writeStdout(JSON.stringify(pids) + "\n");
    return 0;
  }
  // The table is ps(1)'s own, filtered to the container's processes, as runc
  // prints it: `ns ps ID -- -o pid,comm` passes its arguments to ps, -ef by default.
  const argv = psArgs.length > 0 ? psArgs : ["-ef"];
  const command = `ps ${argv.join(" ")}`;
  const out = spawnSync("ps", argv, { encoding: "utf8" });
  if (out.error) throw new UserError(`${command}: ${out.error.message}`);
  if (out.status !== 0) throw new UserError(`${command} failed: ${out.stderr.trim() || `exit ${out.status}`}`);
  const lines = out.stdout.split("\n");
  const header = lines[0] ?? "";
  const pidColumn = header.trim().split(/\s+/).indexOf("PID");
  if (pidColumn < 0) throw new UserError(`${command}: the output has no PID column, which ns needs to pick the container's processes (add -o pid)`);
  const wanted = new Set(pids.map(String));
  const rows = lines.slice(1).filter((line) => wanted.has(line.trim().split(/\s+/)[pidColumn] ?? ""));
  writeStdout([header, ...rows].join("\n") + "\n");
  return 0;
}
