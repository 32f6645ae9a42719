// The OCI state document (runtime-spec runtime.md "State") and the status
// derived from what ns recorded and what /proc says now.
import { existsSync } from "node:fs";
import { isSameProcess } from "../proc.ts";
import type { ContainerRecord } from "./store.ts";

export type Status = "creating" | "created" | "running" | "stopped" | "paused";

export const OCI_STATE_VERSION = "1.2.0";

export function ociState(s: {
  id: string;
  pid: number;
  bundle: string;
  status: string;
  annotations?: Record<string, string> | undefined;
}): Record<string, unknown> {
  return {
    ociVersion: OCI_STATE_VERSION,
    id: s.id,
    status: s.status,
    pid: s.pid,
    bundle: s.bundle,
    annotations: s.annotations ?? {},
  };
}

/**
 * The container's status now: "stopped" once its process is gone (or the
 * pid belongs to another process), "created" until the exec fifo is read,
 * "paused" when its cgroup is frozen.
 */
export function statusOf(record: ContainerRecord, stateDir: string, frozen: () => boolean = () => false): Status {
  if (record.pid <= 0) return "creating";
  if (!isSameProcess(record.pid, record.startTime)) return "stopped";
  if (!record.started && existsSync(`${stateDir}/exec.fifo`)) return "created";
  return frozen() ? "paused" : "running";
}
