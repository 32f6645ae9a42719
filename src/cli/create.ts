// ns create: set up a container and leave its init stage waiting for ns start.
import { resolve } from "node:path";
import { loadSpec } from "../config/load.ts";
import { requireProcess, validateSpec } from "../config/validate.ts";
import { UserError } from "../errors.ts";
import { ContainerLaunch } from "../launcher/launch.ts";
import { log, logContext } from "../log.ts";
import { StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";

export default async function create(args: ParsedArgs, globals: Globals): Promise<number> {
  const o = args.options;
  const id = args.positionals.id as string;
  const bundle = resolve((o.bundle as string | undefined) ?? ".");
  const { spec, file } = loadSpec(bundle);
  requireProcess(spec, file);
  for (const warning of validateSpec(spec, file)) log("warn", warning);
  logContext({ id });
  const consoleSocket = o["console-socket"] as string | undefined;
  if (spec.process?.terminal && !consoleSocket) {
    throw new UserError("process.terminal is set: create needs --console-socket to hand over the terminal");
  }
  const launch = new ContainerLaunch({
    id,
    bundle,
    spec,
    store: new StateStore(globals.root),
    mode: "create",
    foreground: false,
    pidFile: o["pid-file"] as string | undefined,
    preserveFds: (o["preserve-fds"] as number | undefined) ?? 0,
    noPivot: o["no-pivot"] === true,
    networkOptions: (o.network as string[] | undefined) ?? [],
    debug: globals.debug,
  });
  if (spec.process?.terminal && consoleSocket) {
    const { sendToConsoleSocket } = await import("../console/index.ts");
    launch.opts.onConsole = (master) => sendToConsoleSocket(consoleSocket, master);
  }
  launch.launch();
  launch.sync?.close();
  return 0;
}
