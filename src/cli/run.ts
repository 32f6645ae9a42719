// ns run: create and start a container, wait for it, return its exit code.
import { resolve } from "node:path";
import { hostSpec } from "../config/host.ts";
import { loadSpec } from "../config/load.ts";
import type { Spec } from "../config/schema.ts";
import { UserError } from "../errors.ts";
import { ContainerLaunch } from "../launcher/launch.ts";
import { superviseForeground } from "../launcher/supervise.ts";
import { log, logContext } from "../log.ts";
import { StateStore } from "../state/store.ts";
import { writeStdout } from "../output.ts";
import { preserveFdsOption } from "./fds.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";
import { requireProcess, validateSpec } from "../config/validate.ts";

export default async function run(args: ParsedArgs, globals: Globals): Promise<number> {
  const o = args.options;
  const command = (args.positionals.command as string[] | undefined) ?? [];
  let id = args.positionals.id as string | undefined;
  const hostMode = o.bundle === undefined && id === undefined && command.length > 0;
  let spec: Spec;
  let bundle: string;
  if (hostMode) {
    id = `ns-${crypto.getRandomValues(new Uint32Array(2)).reduce((a, n) => a + n.toString(16).padStart(8, "0"), "")}`;
    bundle = process.cwd();
    spec = hostSpec(command, process.env, process.cwd());
    // --network gives the sandbox a network namespace of its own instead of the host's.
    if (o.network !== undefined) spec.linux!.namespaces!.push({ type: "network" });
  } else {
    if (id === undefined) throw new UserError('run: missing ID (or run a host command with "ns run -- CMD")', 2);
    bundle = resolve((o.bundle as string | undefined) ?? ".");
    spec = loadSpec(bundle).spec;
    if (command.length > 0 && spec.process) spec.process.args = command;
  }
  requireProcess(spec);
  for (const warning of validateSpec(spec, hostMode ? undefined : `${bundle}/config.json`)) log("warn", warning);
  logContext({ id });

  const preserveFds = preserveFdsOption(o["preserve-fds"] as number | undefined);
  const store = new StateStore(globals.root);
  const detach = o.detach === true;
  const launch = new ContainerLaunch({
    id,
    bundle,
    spec,
    store,
    mode: "run",
    foreground: !detach,
    pidFile: o["pid-file"] as string | undefined,
    preserveFds,
    noPivot: o["no-pivot"] === true,
    networkOptions: (o.network as string[] | undefined) ?? [],
    debug: globals.debug,
    hostRoot: hostMode,
    noCgroup: hostMode,
  });
  const code = await superviseForeground(launch, { detach, keep: o.keep === true, consoleSocket: o["console-socket"] as string | undefined });
  // A detached sandbox has an id the caller did not choose: print it, for ns state, exec and delete.
  if (detach && hostMode) writeStdout(`${id}\n`);
  return code;
}
