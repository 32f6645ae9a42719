// Joining a running container (ns exec, ns enter): libcontainer's ExecIn done
// without an ns process that stays inside the container. The trampoline's
// intermediate child joins the container's namespaces (the user namespace
// first) and clones the process into its pid namespace. That process takes
// the container's credentials and capabilities in C and executes the command
// directly. Until that execve it is visible in the container as a copy of ns,
// but it is not dumpable, so its memory and /proc/PID/exe stay closed to the
// container.
import { readFileSync, statSync } from "node:fs";
import { CAPABILITIES } from "../capabilities.ts";
import { capabilitySets } from "../init/finalize.ts";
import { log, mark } from "../log.ts";
import { UserError } from "../errors.ts";
import {
  AF_UNIX,
  close,
  errnoName,
  errnoText,
  flock,
  LOCK_EX,
  LOCK_SH,
  O_CLOEXEC,
  O_DIRECTORY,
  O_RDONLY,
  open,
  SOCK_CLOEXEC,
  SOCK_STREAM,
  socketpair,
  tryKill,
  waitpid,
} from "../ffi/libc.ts";
import { spawnChild, type ExecSpec } from "../ffi/trampoline.ts";
import { JOIN_ORDER, namespaceList } from "../namespaces.ts";
import { rlimitTriples, type RlimitSpec } from "../rlimits.ts";
import type { SeccompConfig } from "../seccomp/index.ts";
import { SyncPipe } from "../sync.ts";
import { openCgroupJoin } from "./cgroupjoin.ts";
import type { Container } from "../state/container.ts";

export interface EnterProcess {
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids: number[]; umask?: number | undefined };
  capabilities?: {
    bounding?: string[] | undefined;
    effective?: string[] | undefined;
    permitted?: string[] | undefined;
    inheritable?: string[] | undefined;
    ambient?: string[] | undefined;
  } | undefined;
  noNewPrivileges: boolean;
  rlimits?: RlimitSpec[] | undefined;
  /** stdio for the process; a pty peer when it has a terminal. */
  stdio?: [number, number, number] | undefined;
  terminal: boolean;
  preserveFds: number;
}

const ENOENT = 2;

function sameNamespace(pid: number, file: string): boolean {
  try {
    return statSync(`/proc/${pid}/ns/${file}`).ino === statSync(`/proc/self/ns/${file}`).ino;
  } catch {
    return true;
  }
}

/**
 * Opens the namespaces of the container's process that differ from ours, in
 * join order. The user namespace comes first so that joining the others is
 * done with the container's privileges.
 */
function openContainerNamespaces(pid: number): number[] {
  const fds: number[] = [];
  for (const type of JOIN_ORDER) {
    const file = namespaceList[type].file;
    if (sameNamespace(pid, file)) continue;
    fds.push(open(`/proc/${pid}/ns/${file}`, O_RDONLY | O_CLOEXEC));
  }
  return fds;
}

const CAP_SYS_PTRACE_BIT = 1n << BigInt(CAPABILITIES.CAP_SYS_PTRACE);
/** Beyond this many processes, reading each one's capabilities would cost about what the fork it avoids saves (an estimate). */
const MAX_PROCESSES_TO_CHECK = 64;

/**
 * Returns true when no process of the container can ptrace, because
 * CAP_SYS_PTRACE is in no bounding set. Only then may the joining process
 * share the launcher's memory until its execve. A process cannot gain a
 * capability that its bounding set lacks, and its children inherit the set.
 * So only another exec or enter could add a tracer, and holdStartLock keeps
 * those apart.
 */
function noTracerIn(container: Container): boolean {
  const cgroup = container.cgroup;
  if (!cgroup) return false;
  const pids = cgroup.pids();
  if (pids.length === 0 || pids.length > MAX_PROCESSES_TO_CHECK) return false;
  for (const pid of pids) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, "utf8");
    } catch {
      // Exited meanwhile.
      continue;
    }
    const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    if (bounding === undefined || (BigInt(`0x${bounding}`) & CAP_SYS_PTRACE_BIT) !== 0n) return false;
  }
  return true;
}

function setgroupsAllowed(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/setgroups`, "utf8").trim() !== "deny";
  } catch {
    return true;
  }
}

function describeErrno(errno: number | undefined): string {
  return errno === undefined ? "unknown error" : `${errnoName(errno)} (${errnoText(errno)})`;
}

function execStepError(step: string, errno: number | undefined, file: string, cwd: string): UserError {
  if (step === "execve") {
    // The trampoline searches $PATH only for a name without a slash, as execvp(3) does.
    if (errno === ENOENT && !file.includes("/")) return new UserError(`exec "${file}": executable file not found in $PATH`, 127);
    if (errno === ENOENT) return new UserError(`exec "${file}": no such file or directory`, 127);
    return new UserError(`exec "${file}": ${describeErrno(errno)}`, 126);
  }
  if (step === "setrlimit") return new UserError(`process.rlimits: setrlimit: ${describeErrno(errno)}`);
  if (step === "getcwd") {
    // ns_exec rejects a working directory that getcwd reports outside the
    // container's root, such as one reached through an inherited fd.
    return new UserError(`process.cwd "${cwd}": not reachable from the container's root (getcwd: ${describeErrno(errno)})`);
  }
  if (step === "chdir") return new UserError(`process.cwd "${cwd}": chdir: ${describeErrno(errno)}`);
  return new UserError(`${step} failed in the container: ${describeErrno(errno)}`);
}

/**
 * Takes the container's lock while a process starts in it: exclusive for a
 * process that may ptrace, shared for the others. So no tracer starts while
 * another exec's child shares its launcher's memory (see noTracerIn), and a
 * tracer that started before is in the cgroup when noTracerIn looks.
 * Returns the fd to close.
 */
function holdStartLock(container: Container, mayTrace: boolean): number {
  const fd = open(container.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  try {
    flock(fd, mayTrace ? LOCK_EX : LOCK_SH, container.dir);
  } catch (e) {
    close(fd);
    throw e;
  }
  return fd;
}

/**
 * Starts p inside the container and returns its pid once it has executed
 * (the sync pipe closes on execve); a failure before that throws with the
 * step and errno, and exit code 126 or 127 for a program that cannot run.
 * A container that stops meanwhile is named as the cause.
 */
export function enterContainer(container: Container, p: EnterProcess): number {
  const capabilities = capabilitySets(p.capabilities, (message) => log("info", message));
  const mayTrace = (capabilities.bounding & CAP_SYS_PTRACE_BIT) !== 0n;
  try {
    const lockFd = holdStartLock(container, mayTrace);
    try {
      return startProcess(container, p, capabilities, mayTrace);
    } finally {
      close(lockFd);
    }
  } catch (e) {
    // A program that cannot run is the command's fault, whatever the container does.
    if (container.alive() || (e instanceof UserError && e.exitCode >= 126)) throw e;
    throw new UserError(`cannot exec in container "${container.id}": it stopped while ns was joining it`, 1, { cause: e });
  }
}

function startProcess(container: Container, p: EnterProcess, capabilities: NonNullable<ExecSpec["capabilities"]>, mayTrace: boolean): number {
  const initPid = container.record.pid;
  // The process runs under the container's seccomp filter, as with runc exec.
  const seccompConfig = (container.record.config.linux as { seccomp?: SeccompConfig } | undefined)?.seccomp;
  // The compiler and its syscall tables load only for containers that have a filter.
  const seccomp = seccompConfig
    ? (require("../seccomp/index.ts") as typeof import("../seccomp/index.ts")).seccompFilter(seccompConfig, (message) => log("info", message))
    : undefined;
  const joinFds = openContainerNamespaces(initPid);
  // The fds belong to the container only if its process still has the
  // recorded start time now that they are open, because a pid cannot be
  // reused while its process exists.
  if (!container.alive()) {
    for (const fd of joinFds) close(fd);
    throw new UserError(`cannot enter container "${container.id}": its process ${initPid} has exited`);
  }
  const [parentEnd, childEnd] = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
  const sync = new SyncPipe(parentEnd);
  const exec: ExecSpec = {
    user: { uid: p.user.uid, gid: p.user.gid, additionalGids: p.user.additionalGids, setgroups: setgroupsAllowed(initPid) },
    capabilities,
    noNewPrivileges: p.noNewPrivileges,
    umask: p.user.umask ?? 0o022,
    rlimits: rlimitTriples(p.rlimits),
    cwd: p.cwd,
    file: p.args[0]!,
    args: p.args,
    env: p.env,
    setsid: p.terminal,
    seccomp,
    // Under the seccomp filter, a failed execve is reported on the sync
    // socket, which keeps its number in the child.
    reportFd: childEnd,
  };

  let first = 0;
  let pid = 0;
  // The intermediate child starts in the container's cgroups (cloned into the
  // cgroup2 one, joining the v1 ones itself): its child inherits them, so the
  // command runs inside the container's cgroups from its first instruction.
  const cgroupJoin = openCgroupJoin(container.cgroup);
  try {
    try {
      first = spawnChild({
        cloneFlags: 0,
        syncFd: childEnd,
        childSyncFd: -1,
        exec,
        joinFds,
        keepFds: p.preserveFds,
        ...(p.stdio ? { stdio: p.stdio } : {}),
        ...(cgroupJoin.cgroupFd !== undefined ? { cgroupFd: cgroupJoin.cgroupFd } : {}),
        tasksFds: cgroupJoin.tasksFds,
        parentSyncFd: parentEnd,
        shareMemory: !mayTrace && noTracerIn(container),
      });
    } finally {
      close(childEnd);
      for (const fd of joinFds) close(fd);
      cgroupJoin.close();
    }
    mark("spawn");
    sync.sendGo();
    const reported = sync.receive();
    mark("setns");
    if (reported?.message.type !== "pid") {
      const m = reported?.message as { step?: string; errno?: number } | undefined;
      throw new UserError(`join the namespaces of container "${container.id}": ${m?.step ?? "setns"}: ${describeErrno(m?.errno)}`);
    }
    waitpid(first);
    first = 0;
    pid = (reported.message as { pid: number }).pid;
    sync.sendGo();
    const result = sync.receive();
    mark("exec");
    if (result !== null) {
      const m = result.message as { type: string; step?: string; errno?: number };
      throw execStepError(m.step ?? "execve", m.errno, p.args[0]!, p.cwd);
    }
    return pid;
  } catch (e) {
    for (const child of [first, pid]) {
      if (child > 0) {
        tryKill(child, 9);
        try {
          waitpid(child);
        } catch {
          // Reaped already.
        }
      }
    }
    throw e;
  } finally {
    try {
      sync.close();
    } catch {
      // Closed.
    }
  }
}
