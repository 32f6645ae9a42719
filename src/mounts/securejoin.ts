// Resolves a path inside a root directory the way the container would see it:
// symlinks are followed relative to the root, and ".." never leaves it. A
// mount destination such as /etc/x that the image made a symlink to /../../host
// must land inside the rootfs, not on the host.
import { lstatSync, readlinkSync } from "node:fs";

const MAX_SYMLINKS = 255;

/** Returns root joined with path, with every symlink resolved inside root. */
export function secureJoin(rootDir: string, path: string): string {
  // "/" and "/x/" must not produce "//x" or "/x//y".
  const root = rootDir.replace(/\/+$/, "");
  const resolved: string[] = [];
  let pending = path.split("/");
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "" || part === ".") continue;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    const candidate = `${root}/${[...resolved, part].join("/")}`;
    let isLink = false;
    try {
      isLink = lstatSync(candidate).isSymbolicLink();
    } catch {
      // A missing component ends the resolution: the rest is taken as written.
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) {
      throw new Error(`resolve ${JSON.stringify(path)} in ${JSON.stringify(root)}: too many levels of symbolic links`);
    }
    const target = readlinkSync(candidate);
    if (target.startsWith("/")) resolved.length = 0;
    pending = [...target.split("/"), ...pending];
  }
  return resolved.length === 0 ? root || "/" : `${root}/${resolved.join("/")}`;
}
