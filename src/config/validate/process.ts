// Checks of `process`: program, environment, limits, capabilities, scheduling.
import { readFileSync } from "node:fs";
import { capabilityNumber } from "../../capabilities.ts";
import { getRlimit } from "../../ffi/rlimit.ts";
import { RLIMITS } from "../../rlimits.ts";
import { NGROUPS_MAX } from "../../user.ts";
import { parseCpuList } from "../cpulist.ts";
import type { Spec } from "../schema.ts";
import { fail, hasNamespace, requireAbsolute } from "./check.ts";

/** execve(2) takes C strings, so a NUL would cut an argument short without a word. */
export function checkArgs(spec: Spec): void {
  const args = spec.process?.args;
  if (spec.process === undefined) return;
  if (args === undefined || args.length === 0) {
    fail("process.args", "expected at least one entry, the program to run");
  }
  if (args[0] === "") fail("process.args[0]", "expected the program to run, got an empty string");
  args.forEach((arg, i) => {
    if (arg.includes("\0")) fail(`process.args[${i}]`, "contains a NUL byte");
  });
}

export function checkAdditionalGids(spec: Spec): void {
  const gids = spec.process?.user?.additionalGids ?? [];
  if (gids.length > NGROUPS_MAX) fail("process.user.additionalGids", `${gids.length} groups, more than the kernel's limit of ${NGROUPS_MAX}`);
}

export function checkCwd(spec: Spec): void {
  if (spec.process !== undefined) requireAbsolute(spec.process.cwd, "process.cwd");
}

/** execve(2) takes NAME=value strings, and a NUL would cut one short without a word. */
export function checkEnv(spec: Spec): void {
  spec.process?.env?.forEach((entry, i) => {
    const equals = entry.indexOf("=");
    if (equals <= 0) fail(`process.env[${i}]`, `expected NAME=value, got ${JSON.stringify(entry)}`);
    if (entry.includes("\0")) fail(`process.env[${i}]`, "contains a NUL byte");
  });
}

export function checkRlimits(spec: Spec): void {
  const seen = new Map<string, number>();
  spec.process?.rlimits?.forEach((rlimit, i) => {
    const field = `process.rlimits[${i}]`;
    if (RLIMITS[rlimit.type] === undefined) {
      fail(`${field}.type`, `unknown rlimit ${JSON.stringify(rlimit.type)} (expected one of ${Object.keys(RLIMITS).join(", ")})`);
    }
    const first = seen.get(rlimit.type);
    if (first !== undefined) {
      fail(`${field}.type`, `duplicate rlimit ${JSON.stringify(rlimit.type)} (also at process.rlimits[${first}])`);
    }
    seen.set(rlimit.type, i);
    if (rlimit.soft > rlimit.hard) fail(field, `soft limit ${rlimit.soft} is above hard limit ${rlimit.hard}`);
    checkHardLimitAllowed(spec, rlimit.type, BigInt(rlimit.hard), field);
  });
}

const RLIM_INFINITY = 2n ** 64n - 1n;

function describeLimit(value: bigint): string {
  return value === RLIM_INFINITY ? "RLIM_INFINITY" : String(value);
}

/**
 * Rejects a hard limit that setrlimit(2) would refuse with EPERM, where the
 * kernel's rule (do_prlimit in kernel/sys.c) is knowable beforehand. One rule
 * caps RLIMIT_NOFILE at /proc/sys/fs/nr_open. The other lets only a process
 * with CAP_SYS_RESOURCE in the initial user namespace raise a hard limit, and
 * no process in another user namespace has that. The container process
 * inherits ns's limits, so ns's own hard limit is the one it would raise.
 */
function checkHardLimitAllowed(spec: Spec, type: string, hard: bigint, field: string): void {
  if (type === "RLIMIT_NOFILE") {
    const max = nrOpen();
    if (max !== undefined && hard > max) {
      fail(field, `hard limit ${describeLimit(hard)} of RLIMIT_NOFILE is above ${max}, the maximum that /proc/sys/fs/nr_open allows`);
    }
  }
  if (hasNamespace(spec, "user")) {
    const current = getRlimit(RLIMITS[type]!).hard;
    if (hard > current) {
      fail(
        field,
        `hard limit ${describeLimit(hard)} of ${type} is above ${describeLimit(current)}, the hard limit ns runs with, ` +
          "and a process in a user namespace cannot raise a hard limit",
      );
    }
  }
}

/** Reads the kernel's maximum for RLIMIT_NOFILE; returns undefined where /proc/sys is not readable. */
function nrOpen(): bigint | undefined {
  try {
    return BigInt(readFileSync("/proc/sys/fs/nr_open", "utf8").trim());
  } catch {
    return undefined;
  }
}

/**
 * Rejects names that are not capabilities at all, as runtime-spec 1.0 requires
 * and the runtime-tools test process_capabilities_fail expects. A real
 * capability that the running kernel lacks is not rejected here, because
 * runtime-spec 1.1 and later ask for a warning in that case. capabilityMask
 * leaves such names out when given the kernel's last capability.
 */
export function checkCapabilities(spec: Spec): void {
  const capabilities = spec.process?.capabilities;
  if (capabilities === undefined) return;
  for (const set of ["bounding", "effective", "inheritable", "permitted", "ambient"] as const) {
    capabilities[set]?.forEach((name, i) => {
      if (capabilityNumber(name) === undefined) fail(`process.capabilities.${set}[${i}]`, `unknown capability ${JSON.stringify(name)}`);
    });
  }
}

/** Applies the rules of sched_setattr(2) for each policy. */
export function checkScheduler(spec: Spec): void {
  const scheduler = spec.process?.scheduler;
  if (scheduler === undefined) return;
  const { policy } = scheduler;
  const nice = scheduler.nice ?? 0;
  const priority = scheduler.priority ?? 0;
  if ((policy === "SCHED_OTHER" || policy === "SCHED_BATCH") && (nice < -20 || nice > 19)) {
    fail("process.scheduler.nice", `expected -20 to 19 for ${policy}, got ${nice}`);
  }
  if (policy === "SCHED_FIFO" || policy === "SCHED_RR") {
    if (priority < 1 || priority > 99) fail("process.scheduler.priority", `expected 1 to 99 for ${policy}, got ${priority}`);
  } else if (priority !== 0) {
    fail("process.scheduler.priority", `only SCHED_FIFO and SCHED_RR take a priority, but the policy is ${policy}`);
  }
  if (policy !== "SCHED_DEADLINE") {
    for (const field of ["runtime", "deadline", "period"] as const) {
      if (scheduler[field]) fail(`process.scheduler.${field}`, `only SCHED_DEADLINE takes a ${field}, but the policy is ${policy}`);
    }
  }
}

export function checkIoPriority(spec: Spec): void {
  const priority = spec.process?.ioPriority?.priority;
  if (priority !== undefined && (priority < 0 || priority > 7)) {
    fail("process.ioPriority.priority", `expected 0 (highest) to 7 (lowest), got ${priority}`);
  }
}

export function checkExecCpuAffinity(spec: Spec): void {
  const affinity = spec.process?.execCPUAffinity;
  for (const stage of ["initial", "final"] as const) {
    const list = affinity?.[stage];
    if (list === undefined) continue;
    try {
      parseCpuList(list);
    } catch (error) {
      fail(`process.execCPUAffinity.${stage}`, (error as Error).message);
    }
  }
}
