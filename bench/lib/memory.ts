// Memory of the process that supervises a running container in the
// foreground (`ns run`, `runc run`), read from /proc once the container's
// process is running.
import { readdirSync, readFileSync } from "node:fs";
import { run } from "./process.ts";

export interface SupervisorMemory {
  /** VmRSS: resident pages, shared file pages included. */
  rssKiB: number;
  /** Pss from smaps_rollup: shared pages divided among the processes that map them. */
  pssKiB: number;
  threads: number;
}

function statusField(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${field}:`));
  if (!line) throw new Error(`/proc/${pid}/status has no ${field} line`);
  return Number.parseInt(line.slice(field.length + 1).trim(), 10);
}

function readMemory(pid: number): SupervisorMemory {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const pss = /^Pss:\s+(\d+) kB/m.exec(rollup);
  return { rssKiB: statusField(pid, "VmRSS"), pssKiB: pss ? Number(pss[1]) : Number.NaN, threads: statusField(pid, "Threads") };
}

function children(pid: number): number[] {
  const found: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const task of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text) found.push(...text.split(" ").map(Number));
    } catch {
      // The task ended meanwhile.
    }
  }
  return found;
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/** Whether a descendant of pid runs a program named name. */
function hasDescendant(pid: number, name: string): boolean {
  const queue = children(pid);
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (comm(next) === name) return true;
    queue.push(...children(next));
  }
  return false;
}

export interface SupervisorRun {
  /** The foreground command, such as [ns, "--root", R, "run", "-b", B, ID]. */
  command: string[];
  /** Stops the container, such as [ns, "--root", R, "kill", ID, "KILL"]. */
  kill: string[];
  /** Removes what a supervisor that had to be killed left, such as [ns, "--root", R, "delete", "-f", ID]. */
  forceDelete: string[];
  /** The program name of the container process. */
  containerProgram: string;
  /** Time to let the supervisor settle after the container process appeared. */
  settleMs: number;
  timeoutMs: number;
}

/**
 * Starts the supervisor, waits until the container process runs, reads the
 * supervisor's memory, then kills the container and waits for the
 * supervisor to clean up and exit.
 */
export async function measureSupervisor(r: SupervisorRun): Promise<SupervisorMemory> {
  const proc = Bun.spawn(r.command, { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const deadline = Date.now() + r.timeoutMs;
  try {
    while (!hasDescendant(proc.pid, r.containerProgram)) {
      if (proc.exitCode !== null) {
        const stderr = await new Response(proc.stderr).text();
        throw new Error(`${r.command.join(" ")} exited with ${proc.exitCode} before its container ran: ${stderr.trim()}`);
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${r.timeoutMs} ms waiting for "${r.containerProgram}" under ${r.command.join(" ")}`);
      await Bun.sleep(20);
    }
    await Bun.sleep(r.settleMs);
    return readMemory(proc.pid);
  } finally {
    run(r.kill[0]!, r.kill.slice(1), { timeoutMs: 10_000, purpose: "kill the container", allowFailure: true });
    const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(Math.max(1000, deadline - Date.now())).then(() => false)]);
    if (!exited) {
      proc.kill("SIGKILL");
      await proc.exited;
      run(r.forceDelete[0]!, r.forceDelete.slice(1), { timeoutMs: 10_000, purpose: "delete the container", allowFailure: true });
    }
  }
}
