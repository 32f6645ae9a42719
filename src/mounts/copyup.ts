// The "tmpcopyup" mount option (a runc extension, not in the OCI spec): a new
// tmpfs starts with a copy of what the directory it covers held, so that an
// image's files under /run or /tmp survive a tmpfs mounted there.
import { copyFileSync, lchownSync, lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, chmodSync } from "node:fs";
import { close, mknod, O_CLOEXEC, O_DIRECTORY, O_PATH, open } from "../ffi/libc.ts";

/**
 * Runs mountOver (which mounts on dir), then copies the covered directory's
 * contents into the new mount. The covered directory stays reachable through
 * an O_PATH fd opened before the mount, via /proc/self/fd.
 * NOTE: timestamps, extended attributes and hard links are not copied.
 */
export function copyUp(dir: string, mountOver: () => void): void {
  const covered = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  try {
    mountOver();
    copyTree(`/proc/self/fd/${covered}`, dir);
  } finally {
    close(covered);
  }
}

/** Copies the entries of from into to, keeping type, mode, owner and symlink targets. */
function copyTree(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const source = `${from}/${name}`;
    const target = `${to}/${name}`;
    const st = lstatSync(source);
    if (st.isDirectory()) {
      mkdirSync(target);
      copyTree(source, target);
    } else if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(source), target);
    } else if (st.isFile()) {
      copyFileSync(source, target);
    } else {
      // Device nodes, fifos and sockets: the mode carries the file type.
      mknod(target, st.mode, BigInt(st.rdev));
    }
    lchownSync(target, st.uid, st.gid);
    if (!st.isSymbolicLink()) chmodSync(target, st.mode & 0o7777);
  }
}
