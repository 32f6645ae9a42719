// Creating mount points inside a rootfs.
import { closeSync, mkdirSync, openSync, statSync } from "node:fs";

/** mkdir -p with mode for the directories it creates. */
export function mkdirAll(path: string, mode = 0o755): void {
  mkdirSync(path, { recursive: true, mode });
}

/** Creates an empty file at path (and its parent directories) unless something is there. */
export function ensureFile(path: string): void {
  try {
    statSync(path);
    return;
  } catch {
    // Create it below.
  }
  mkdirAll(path.slice(0, path.lastIndexOf("/")) || "/");
  closeSync(openSync(path, "a", 0o755));
}

/** Whether path is a directory, following symlinks; false when it does not exist. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
