// Entering the rootfs and the mount steps that come after it.
import {
  chdir,
  chroot,
  close,
  fchdir,
  mount,
  O_CLOEXEC,
  O_DIRECTORY,
  O_RDONLY,
  open,
  pivotRoot,
  SyscallError,
  umount2,
} from "../ffi/libc.ts";
import { describeError } from "../errors.ts";
import { MS_BIND, MS_MOVE, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_SLAVE, propagationFlag } from "./options.ts";
import { mountFlags, remountBind } from "./rootfs.ts";
import { isDirectory } from "./paths.ts";
import { existsSync, statSync } from "node:fs";

const MNT_DETACH = 2;

/**
 * pivot_root into rootfs with the old root stacked on the new one
 * (pivot_root(".", ".")), so no directory for it is needed inside the
 * rootfs; then detach the old root. It is made a slave first so that the
 * detach does not propagate to the host.
 */
export function enterRootfs(rootfs: string): void {
  const oldRoot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  const newRoot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  try {
    fchdir(newRoot);
    pivotRoot(".", ".");
    fchdir(oldRoot);
    mount(null, ".", null, MS_SLAVE | MS_REC);
    umount2(".", MNT_DETACH);
    chdir("/");
  } finally {
    close(oldRoot);
    close(newRoot);
  }
}

/**
 * For roots that cannot pivot (an initramfs): move the rootfs over / and
 * chroot into it.
 * NOTE: the host's mounts stay in the mount namespace under the moved rootfs.
 * Out of reach by path, they still count for mount_too_revealing()
 * (fs/namespace.c), so with a user namespace and CAP_SYS_ADMIN the container
 * may mount a fresh proc or sysfs without masks. In a user namespace they are
 * locked and cannot be unmounted, and a tmpfs over them (what runc 1.1 does)
 * does not help: the check looks at every mount of the namespace.
 */
export function moveIntoRootfs(rootfs: string): void {
  chdir(rootfs);
  mount(rootfs, "/", null, MS_MOVE);
  chroot(".");
  chdir("/");
}

/**
 * Applies rootfsPropagation to the new root, once the host's mounts are out
 * of reach. Only to the root itself: the mounts below have what prepareRoot
 * and their own options gave them, and a recursive change would undo a
 * mount's "rshared" under "rslave", for one.
 */
export function setRootPropagation(name: string | undefined): void {
  if (!name) return;
  const flag = propagationFlag(name);
  if (flag === undefined) throw new Error(`linux.rootfsPropagation: unknown propagation "${name}"`);
  mount(null, "/", null, flag & ~MS_REC);
}

/**
 * root.readonly: the rootfs bind becomes read-only. MS_REMOUNT|MS_BIND
 * replaces every per-mount flag, so the nosuid, nodev and noexec the bind took
 * from the mount under the bundle are repeated (runc 1.1 drops them).
 */
export function remountRootReadonly(): void {
  remountReadonly("/");
}

/** Remounts a bind mount read-only, keeping its nosuid, nodev and noexec. */
function remountReadonly(path: string): void {
  const securityFlags = mountFlags(path) & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
  remountBind(path, MS_RDONLY | securityFlags);
}

/**
 * linux.readonlyPaths: each path becomes a read-only bind of itself, keeping
 * the nosuid, nodev and noexec of the mount it was on, as runc does. Missing
 * paths are skipped.
 */
export function readonlyPaths(paths: readonly string[]): void {
  for (const path of paths) {
    try {
      mount(path, path, "bind", MS_BIND | MS_REC);
    } catch (e) {
      if (e instanceof SyscallError && e.code === "ENOENT") continue;
      throw new Error(`linux.readonlyPaths: ${describeError(e)}`, { cause: e });
    }
    remountReadonly(path);
  }
}

/**
 * linux.maskedPaths: a file is covered by the container's /dev/null, a
 * directory by an empty read-only tmpfs. Missing paths are skipped.
 */
export function maskPaths(paths: readonly string[], mountLabel?: string): void {
  for (const path of paths) {
    try {
      statSync(path);
    } catch {
      continue;
    }
    try {
      if (isDirectory(path)) {
        const data = mountLabel ? `context="${mountLabel}"` : null;
        mount("tmpfs", path, "tmpfs", MS_RDONLY, data);
      } else {
        mount("/dev/null", path, "bind", MS_BIND);
      }
    } catch (e) {
      if (e instanceof SyscallError && e.code === "ENOENT" && !existsSync("/dev/null")) {
        throw new Error(`linux.maskedPaths: cannot mask ${JSON.stringify(path)}: the container has no /dev/null to bind over it`, { cause: e });
      }
      throw new Error(`linux.maskedPaths: ${describeError(e)}`, { cause: e });
    }
  }
}
