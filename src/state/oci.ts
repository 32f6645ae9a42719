// The OCI state document (runtime-spec runtime.md "State") and the status
// derived from what ns recorded and what /proc shows now.
import { existsSync } from "node:fs";
import { isSameProcess } from "../proc.ts";
import type { ContainerRecord } from "./store.ts";

/** The OCI statuses, and "paused", which runc and its clients use too. */
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
 * Derives the container's status now. It is "creating" until the creator
 * writes the record, and "created" until the exec fifo is read. It is
 * "stopped" once the process is gone, once the pid belongs to another
 * process, or when the creator died. A frozen cgroup makes it "paused".
 */
export function statusOf(record: ContainerRecord, stateDir: string, frozen: () => boolean = () => false): Status {
  if (record.incomplete === "stale") return "stopped";
  if (record.incomplete === "creating" || record.pid <= 0) return "creating";
  if (!isSameProcess(record.pid, record.startTime)) return "stopped";
  // A frozen created container is paused too, as in runc: it cannot start until resumed.
  if (frozen()) return "paused";
  if (!record.started && existsSync(`${stateDir}/exec.fifo`)) return "created";
  return "running";
}
