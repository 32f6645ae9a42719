// The user namespace's id maps, written by the launcher (root in the parent
// namespace) while the child waits for its go-ahead.
import { writeFileSync } from "node:fs";
import { UserError } from "../errors.ts";

export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

function format(maps: readonly IdMapping[]): string {
  return maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join("");
}

function writeMap(pid: number, file: string, field: string, maps: readonly IdMapping[]): void {
  const path = `/proc/${pid}/${file}`;
  try {
    writeFileSync(path, format(maps));
  } catch (e) {
    const code = (e as { code?: string }).code ?? "";
    const why = code === "EINVAL" ? "EINVAL (the kernel rejected the mappings: overlapping ranges, a size of 0 or more than 340 lines)" : code === "EPERM" ? "EPERM (operation not permitted)" : code;
    throw new UserError(`${field}: write ${path}: ${why}`, 1, { cause: e });
  }
}

/**
 * Writes uid_map and gid_map of pid. setgroups is denied only when the kernel
 * requires it for an unprivileged writer (never for root here), so that the
 * container can still call setgroups for process.user.additionalGids.
 */
export function writeIdMaps(pid: number, uidMappings: readonly IdMapping[], gidMappings: readonly IdMapping[]): void {
  writeMap(pid, "uid_map", "linux.uidMappings", uidMappings);
  writeMap(pid, "gid_map", "linux.gidMappings", gidMappings);
}

/** The host id that container id 0 maps to, for owning files the container must use. */
export function hostIdOf(maps: readonly IdMapping[] | undefined, id: number): number {
  for (const m of maps ?? []) {
    if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  }
  return id;
}

export function checkRootMapped(maps: readonly IdMapping[], field: string): void {
  if (!maps.some((m) => m.containerID === 0)) {
    throw new UserError(`${field}: container id 0 must be mapped (the init stage runs as root in the user namespace)`);
  }
}
