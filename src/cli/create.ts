// ns create: set up a container and leave its init stage waiting for ns start.
import { resolve } from "node:path";
import { loadSpec } from "../config/load.ts";
import { requireProcess, validateSpec } from "../config/validate.ts";
import { ContainerLaunch } from "../launcher/launch.ts";
import { prepareConsole, type ConsoleHandling } from "../launcher/supervise.ts";
import { log, logContext } from "../log.ts";
import { StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";
import { preserveFdsOption } from "./fds.ts";

export default async function create(args: ParsedArgs, globals: Globals): Promise<number> {
  const o = args.options;
  const id = args.positionals.id as string;
  const preserveFds = preserveFdsOption(o["preserve-fds"] as number | undefined);
  const bundle = resolve((o.bundle as string | undefined) ?? ".");
  const { spec, file } = loadSpec(bundle);
  requireProcess(spec, file);
  for (const warning of validateSpec(spec, file)) log("warn", warning);
  logContext({ id });
  const launch = new ContainerLaunch({
    id,
    bundle,
    spec,
    store: new StateStore(globals.root),
    mode: "create",
    foreground: false,
    pidFile: o["pid-file"] as string | undefined,
    preserveFds,
    noPivot: o["no-pivot"] === true,
    networkOptions: (o.network as string[] | undefined) ?? [],
    debug: globals.debug,
  });
  let terminal: ConsoleHandling;
  try {
    // Connects a console socket now, so that a wrong path fails before anything runs.
    terminal = await prepareConsole(launch, { detach: true, consoleSocket: o["console-socket"] as string | undefined });
  } catch (e) {
    launch.destroy();
    throw e;
  }
  try {
    launch.launch();
  } finally {
    terminal.close();
  }
  launch.sync?.close();
  return 0;
}
