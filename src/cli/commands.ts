// The table of ns commands: their options, positionals and help, and the
// module that implements each one, loaded only when that command runs.
import type { OptionSpec, ParsedArgs, PositionalSpec } from "./args.ts";

export interface Globals {
  root: string;
  log?: string | undefined;
  logFormat: "text" | "json";
  debug: boolean;
  systemdCgroup: boolean;
}

export type CommandMain = (args: ParsedArgs, globals: Globals) => Promise<number> | number;

export interface CommandSpec {
  name: string;
  aliases?: string[];
  summary: string;
  usage: string;
  options: OptionSpec[];
  positionals: PositionalSpec[];
  load: () => Promise<{ default: CommandMain }>;
}

export const GLOBAL_OPTIONS: OptionSpec[] = [
  { name: "root", type: "string", value: "DIR", description: "directory for container state (default /run/ns)" },
  { name: "log", type: "string", value: "FILE", description: "write log messages to FILE instead of stderr" },
  { name: "log-format", type: "string", value: "FORMAT", description: "log format: text or json (default text)" },
  { name: "debug", type: "boolean", description: "log debug messages, with step timings" },
  { name: "systemd-cgroup", type: "boolean", description: "accepted for runc compatibility; ns does not manage cgroups through systemd" },
  { name: "rootless", type: "string", value: "MODE", description: "accepted for runc compatibility (ns runs as root)", hidden: true },
  { name: "criu", type: "string", description: "accepted for runc compatibility (checkpointing is not supported)", hidden: true },
  { name: "help", alias: "h", type: "boolean", description: "show help" },
  { name: "version", alias: "v", type: "boolean", description: "print the version" },
];

const help: OptionSpec = { name: "help", alias: "h", type: "boolean", description: "show help" };
const bundle: OptionSpec = { name: "bundle", alias: "b", type: "string", value: "DIR", description: "bundle directory holding config.json (default: the current directory)" };
const pidFile: OptionSpec = { name: "pid-file", type: "string", value: "FILE", description: "write the container process's pid to FILE" };
const consoleSocket: OptionSpec = { name: "console-socket", type: "string", value: "PATH", description: "send the pty master over the unix socket at PATH (with process.terminal)" };
const preserveFds: OptionSpec = { name: "preserve-fds", type: "number", value: "N", description: "pass N fds from 3 on to the container process" };
const noPivot: OptionSpec = { name: "no-pivot", type: "boolean", description: "use MS_MOVE and chroot instead of pivot_root (for a rootfs on ramfs)" };
const network: OptionSpec = { name: "network", type: "array", value: "SPEC", description: "network of the container, repeatable (see docs/networking.md)" };
const noNewKeyring: OptionSpec = { name: "no-new-keyring", type: "boolean", description: "accepted for runc compatibility", hidden: true };
const noSubreaper: OptionSpec = { name: "no-subreaper", type: "boolean", description: "accepted for runc compatibility", hidden: true };
const keep: OptionSpec = { name: "keep", type: "boolean", description: "keep the container's state after it exits" };
const format: OptionSpec = { name: "format", alias: "f", type: "string", value: "FORMAT", description: "output format: table or json" };
const id: PositionalSpec = { name: "id", required: true };

const execOptions: OptionSpec[] = [
  { name: "process", alias: "p", type: "string", value: "FILE", description: "a process.json (the OCI process object) to run instead of the arguments" },
  { name: "env", alias: "e", type: "array", value: "NAME=VALUE", description: "set an environment variable, repeatable" },
  { name: "cwd", type: "string", value: "DIR", description: "working directory inside the container" },
  { name: "user", alias: "u", type: "string", value: "UID[:GID]", description: "user (name or uid) and group inside the container" },
  { name: "additional-gids", alias: "g", type: "array", value: "GID", description: "an additional group, repeatable" },
  { name: "cap", alias: "c", type: "array", value: "CAP", description: "add a capability, repeatable" },
  { name: "no-new-privs", type: "boolean", description: "set no_new_privs for the process" },
  { name: "tty", alias: "t", type: "boolean", description: "allocate a pseudo-terminal" },
  { name: "detach", alias: "d", type: "boolean", description: "do not wait for the process" },
  pidFile,
  { name: "console-socket", type: "string", value: "PATH", description: "send the pty master over the unix socket at PATH (with --tty)" },
  preserveFds,
  { name: "process-label", type: "string", description: "accepted for runc compatibility", hidden: true },
  { name: "apparmor", type: "string", description: "accepted for runc compatibility", hidden: true },
  { name: "ignore-paused", type: "boolean", description: "accepted for runc compatibility", hidden: true },
  { name: "cgroup", type: "string", description: "accepted for runc compatibility", hidden: true },
  help,
];

const lazy = <T>(f: () => Promise<T>) => f;

export const COMMANDS: CommandSpec[] = [
  {
    name: "run",
    summary:
      "Create and start a container, wait for it and return its exit code. With ID and CMD, `ns run ID -- CMD` runs the bundle with CMD in place of process.args. " +
      "With no bundle, `ns run -- CMD` runs CMD on a read-only view of the host.",
    usage: "ns run [options] [ID] [-- CMD ARGS...]",
    options: [bundle, pidFile, consoleSocket, preserveFds, noPivot, network, keep, noNewKeyring, noSubreaper,
      { name: "detach", alias: "d", type: "boolean", description: "start the container and return" }, help],
    positionals: [{ name: "id" }, { name: "command", rest: true }],
    load: lazy(() => import("./run.ts")),
  },
  {
    name: "create",
    summary: "Create a container: set up everything and leave it waiting for `ns start`.",
    usage: "ns create [options] ID",
    options: [bundle, pidFile, consoleSocket, preserveFds, noPivot, network, noNewKeyring, help],
    positionals: [id],
    load: lazy(() => import("./create.ts")),
  },
  {
    name: "start",
    summary: "Start a created container's process.",
    usage: "ns start ID",
    options: [help],
    positionals: [id],
    load: lazy(() => import("./start.ts")),
  },
  {
    name: "state",
    summary: "Print the OCI state of a container as JSON.",
    usage: "ns state ID",
    options: [help],
    positionals: [id],
    load: lazy(() => import("./state.ts")),
  },
  {
    name: "kill",
    summary: "Send a signal (default SIGTERM) to a container's process.",
    usage: "ns kill [--all] ID [SIGNAL]",
    options: [{ name: "all", alias: "a", type: "boolean", description: "signal every process in the container" }, help],
    positionals: [id, { name: "signal" }],
    load: lazy(() => import("./kill.ts")),
  },
  {
    name: "delete",
    summary: "Delete a stopped container; with --force, kill a running one first.",
    usage: "ns delete [--force] ID",
    options: [{ name: "force", alias: "f", type: "boolean", description: "kill and delete a running container" }, help],
    positionals: [id],
    load: lazy(() => import("./delete.ts")),
  },
  {
    name: "list",
    aliases: ["ls"],
    summary: "List containers.",
    usage: "ns list [--format table|json] [--quiet]",
    options: [format, { name: "quiet", alias: "q", type: "boolean", description: "print only the ids" }, help],
    positionals: [],
    load: lazy(() => import("./list.ts")),
  },
  {
    name: "ps",
    summary: "List the processes of a container. The table is the output of ps(1), given PS-ARGS (default -ef), filtered to the container's processes; --format json prints only their pids.",
    usage: "ns ps [--format table|json] ID [-- PS-ARGS...]",
    options: [format, help],
    positionals: [id, { name: "ps-args", rest: true }],
    load: lazy(() => import("./ps.ts")),
  },
  {
    name: "exec",
    summary:
      "Run a process inside a running container (runc's exec). It starts from the container's process settings (env, cwd, user, capabilities), which the options change. " +
      "`ns enter` is the same command under the name nsenter users expect.",
    usage: "ns exec [options] ID [CMD ARGS...]",
    options: execOptions,
    positionals: [id, { name: "command", rest: true }],
    load: lazy(() => import("./exec.ts")),
  },
  {
    name: "enter",
    summary:
      "Join a running container's namespaces and cgroup and run CMD there (like nsenter). It is `ns exec` under another name, with the same options: " +
      "CMD starts from the container's process settings (env, cwd, user, capabilities), which the options change.",
    usage: "ns enter [options] ID -- CMD ARGS...",
    options: execOptions,
    positionals: [id, { name: "command", rest: true }],
    load: lazy(() => import("./exec.ts")),
  },
  {
    name: "spec",
    summary: "Write a default config.json for a bundle, as `runc spec` does.",
    usage: "ns spec [--rootless] [--bundle DIR]",
    options: [bundle, { name: "rootless", type: "boolean", description: "a config for a container in a user namespace" }, help],
    positionals: [],
    load: lazy(() => import("./spec.ts")),
  },
  {
    name: "features",
    summary: "Print the OCI features document of ns as JSON.",
    usage: "ns features",
    options: [help],
    positionals: [],
    load: lazy(() => import("./features.ts")),
  },
  {
    name: "update",
    summary: "Change the cgroup resources of a running container.",
    usage: "ns update [options] ID",
    options: [
      { name: "resources", alias: "r", type: "string", value: "FILE", description: "a linux.resources JSON file ('-' reads stdin)" },
      { name: "memory", type: "string", value: "BYTES", description: "memory limit" },
      { name: "memory-reservation", type: "string", value: "BYTES", description: "memory soft limit" },
      { name: "memory-swap", type: "string", value: "BYTES", description: "memory plus swap limit" },
      { name: "cpu-share", type: "number", value: "N", description: "relative cpu weight" },
      { name: "cpu-shares", type: "number", value: "N", description: "the same as --cpu-share" },
      { name: "cpu-quota", type: "number", value: "US", description: "cpu time per period, in microseconds" },
      { name: "cpu-period", type: "number", value: "US", description: "cpu period, in microseconds" },
      { name: "cpu-rt-runtime", type: "number", value: "US", description: "realtime runtime per period" },
      { name: "cpu-rt-period", type: "number", value: "US", description: "realtime period" },
      { name: "cpuset-cpus", type: "string", value: "LIST", description: "cpus the container may use" },
      { name: "cpuset-mems", type: "string", value: "LIST", description: "memory nodes the container may use" },
      { name: "pids-limit", type: "number", value: "N", description: "maximum number of tasks" },
      { name: "blkio-weight", type: "number", value: "N", description: "block io weight (10-1000)" },
      { name: "kernel-memory", type: "string", value: "BYTES", description: "accepted and ignored, as by runc" },
      { name: "kernel-memory-tcp", type: "string", value: "BYTES", description: "accepted and ignored, as by runc" },
      { name: "l3-cache-schema", type: "string", value: "SCHEMA", description: "Intel RDT, which ns does not support" },
      { name: "mem-bw-schema", type: "string", value: "SCHEMA", description: "Intel RDT, which ns does not support" },
      help,
    ],
    positionals: [id],
    load: lazy(() => import("./update.ts")),
  },
  {
    name: "pause",
    summary: "Freeze every process of a container.",
    usage: "ns pause ID",
    options: [help],
    positionals: [id],
    load: lazy(() => import("./pause.ts")),
  },
  {
    name: "resume",
    summary: "Thaw a paused container.",
    usage: "ns resume ID",
    options: [help],
    positionals: [id],
    load: lazy(() => import("./resume.ts")),
  },
  {
    name: "events",
    summary: "Print container events (OOM) and, with --stats, resource usage as JSON.",
    usage: "ns events [--stats] [--interval D] ID",
    options: [
      { name: "stats", type: "boolean", description: "print statistics once and exit" },
      { name: "interval", type: "string", value: "D", description: "time between statistics, such as 5s (default 5s)" },
      help,
    ],
    positionals: [id],
    load: lazy(() => import("./events.ts")),
  },
  {
    name: "recvtty",
    summary: "Listen on a unix socket for the terminals that --console-socket sends. With --mode single, relay the first one to stdin and stdout until it hangs up; with --mode null, drain any number until killed.",
    usage: "ns recvtty [--mode single|null] [--pid-file FILE] SOCKET",
    options: [
      { name: "mode", alias: "m", type: "string", value: "MODE", description: "single (default): relay one terminal, then exit; null: discard the output of every terminal" },
      { name: "pid-file", type: "string", value: "FILE", description: "write the pid of recvtty to FILE once the socket is listening" },
      help,
    ],
    positionals: [{ name: "socket", required: true }],
    load: lazy(() => import("./recvtty.ts")),
  },
  {
    name: "init",
    summary: "The init stage inside a new container (started by ns itself; reads its sync fd from _NS_SYNC_FD).",
    usage: "ns init",
    options: [help],
    positionals: [],
    load: lazy(() => import("./init.ts")),
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
}
