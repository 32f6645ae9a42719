// Schema of `process`: the program the container runs and its credentials,
// capabilities, limits and scheduling (OCI runtime-spec config.md, "Process").
import * as v from "valibot";
import { int32, integer, object, oneOf, strings, uint32, uint53, uint64 } from "./types.ts";

export const userSchema = object({
  // Go's encoding/json leaves an absent uid or gid at 0, so configs written by
  // Go tools may omit them for root.
  uid: v.optional(uint32, 0),
  gid: v.optional(uint32, 0),
  umask: v.optional(uint32),
  additionalGids: v.optional(v.array(uint32)),
  username: v.optional(v.string()),
});

export const capabilitiesSchema = object({
  bounding: v.optional(strings),
  effective: v.optional(strings),
  inheritable: v.optional(strings),
  permitted: v.optional(strings),
  ambient: v.optional(strings),
});

/** Type names are checked against the kernel's list in validate.ts, so that the message can name the field. */
export const rlimitSchema = object({
  type: v.string(),
  soft: uint64,
  hard: uint64,
});

export const SCHEDULER_POLICIES = [
  "SCHED_OTHER",
  "SCHED_FIFO",
  "SCHED_RR",
  "SCHED_BATCH",
  "SCHED_ISO",
  "SCHED_IDLE",
  "SCHED_DEADLINE",
] as const;

export const SCHEDULER_FLAGS = [
  "SCHED_FLAG_RESET_ON_FORK",
  "SCHED_FLAG_RECLAIM",
  "SCHED_FLAG_DL_OVERRUN",
  "SCHED_FLAG_KEEP_POLICY",
  "SCHED_FLAG_KEEP_PARAMS",
  "SCHED_FLAG_UTIL_CLAMP_MIN",
  "SCHED_FLAG_UTIL_CLAMP_MAX",
] as const;

export const schedulerSchema = object({
  policy: oneOf(SCHEDULER_POLICIES, "scheduler policy"),
  nice: v.optional(int32),
  priority: v.optional(int32),
  flags: v.optional(v.array(oneOf(SCHEDULER_FLAGS, "scheduler flag"))),
  runtime: v.optional(uint53),
  deadline: v.optional(uint53),
  period: v.optional(uint53),
});

export const IOPRIO_CLASSES = ["IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"] as const;

export const ioPrioritySchema = object({
  class: oneOf(IOPRIO_CLASSES, "I/O priority class"),
  priority: v.optional(int32),
});

export const processSchema = object({
  terminal: v.optional(v.boolean()),
  consoleSize: v.optional(object({ height: uint53, width: uint53 })),
  user: v.optional(userSchema, {}),
  args: v.optional(strings),
  commandLine: v.optional(v.string()),
  env: v.optional(strings),
  cwd: v.string(),
  capabilities: v.optional(capabilitiesSchema),
  rlimits: v.optional(v.array(rlimitSchema)),
  apparmorProfile: v.optional(v.string()),
  selinuxLabel: v.optional(v.string()),
  noNewPrivileges: v.optional(v.boolean()),
  // The kernel accepts -1000 to 1000 in /proc/PID/oom_score_adj.
  oomScoreAdj: v.optional(integer(-1000, 1000)),
  scheduler: v.optional(schedulerSchema),
  ioPriority: v.optional(ioPrioritySchema),
  execCPUAffinity: v.optional(
    object({
      initial: v.optional(v.string()),
      final: v.optional(v.string()),
    }),
  ),
});
