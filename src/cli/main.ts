// The ns command line: global options, then a command from the table.
import { describeError, UserError } from "../errors.ts";
import { configureLog, log } from "../log.ts";
import { formatHelp, parseArgs } from "./args.ts";
import { COMMANDS, findCommand, GLOBAL_OPTIONS, type Globals } from "./commands.ts";
import { writeStdout, writeStderr } from "../output.ts";

export const VERSION = "0.1.0";
export const OCI_VERSION = "1.2.0";

/**
 * Commands that work without root: they write or print documents, relay
 * terminals, or run as the init stage, which is root in its own user
 * namespace. Every other command creates namespaces, cgroups and mounts, or
 * reads the state root, which only root may read.
 */
const UNPRIVILEGED_COMMANDS = new Set(["spec", "features", "recvtty", "init"]);

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const commands = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary.split(". ")[0]!.replace(/\.$/, "")}`);
  return [
    formatHelp("ns [global options] COMMAND [options] [arguments]", "ns is a Linux container runtime for OCI bundles.", GLOBAL_OPTIONS),
    "",
    "Commands:",
    ...commands,
    "",
    'Run "ns COMMAND --help" for the options of a command.',
  ].join("\n");
}

/** Runs the CLI; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let debug = false;
  try {
    const global = parseArgs(argv, GLOBAL_OPTIONS, [{ name: "command" }], undefined, true);
    const g = global.options;
    debug = g.debug === true;
    const format = (g["log-format"] as string | undefined) ?? "text";
    if (format !== "text" && format !== "json") throw new UserError(`--log-format: expected text or json, got "${format}"`, 2);
    configureLog({ file: g.log as string | undefined, format, debug });
    if (g.version) {
      writeStdout(`ns version ${VERSION}\nspec: ${OCI_VERSION}\n`);
      return 0;
    }
    const name = global.positionals.command as string | undefined;
    if (!name || g.help) {
      writeStdout(usage() + "\n");
      return name || g.help ? 0 : 2;
    }
    const command = findCommand(name);
    if (!command) throw new UserError(`unknown command "${name}" (run "ns --help" for the list)`, 2);
    const globals: Globals = {
      root: (g.root as string | undefined) ?? "/run/ns",
      log: g.log as string | undefined,
      logFormat: format,
      debug,
      systemdCgroup: g["systemd-cgroup"] === true,
    };
    if (globals.systemdCgroup) log("warn", "--systemd-cgroup: ns manages cgroups through cgroupfs; the flag is ignored");
    const args = parseArgs(global.rest, command.options, command.positionals, command.name);
    if (args.options.help) {
      writeStdout(formatHelp(command.usage, command.summary, command.options) + "\n");
      return 0;
    }
    const uid = process.getuid!();
    if (uid !== 0 && !UNPRIVILEGED_COMMANDS.has(command.name)) {
      throw new UserError(`must run as root, because ns creates namespaces, cgroups and mounts (running as uid ${uid})`);
    }
    const module = await command.load();
    return await module.default(args, globals);
  } catch (err) {
    log("error", describeError(err));
    if (debug && err instanceof Error && !(err instanceof UserError)) writeStderr(`${err.stack}\n`);
    return err instanceof UserError ? err.exitCode : 1;
  }
}
