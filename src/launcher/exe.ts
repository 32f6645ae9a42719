// The executable the init stage runs from. A container could otherwise reach
// the ns binary through /proc/PID/exe (or an entrypoint of "#!/proc/self/exe")
// and, once ns exits, reopen it for writing and replace it on the host
// (CVE-2019-5736). Executing it from a read-only mount that is attached
// nowhere closes that path: every reopen of /proc/PID/exe lands on a
// read-only mount and fails with EROFS. Copying the ~100 MB binary into a
// sealed memfd, as runc does, would cost far more per start.
import { AT_RECURSIVE, O_CLOEXEC, ptr, SYS, syscall, cstr } from "../ffi/libc.ts";
import { MOUNT_ATTR_RDONLY } from "../mounts/options.ts";

const OPEN_TREE_CLONE = 1;
const AT_EMPTY_PATH = 0x1000;

/**
 * Returns an fd of the running executable on a private, read-only copy of
 * its mount (open_tree(OPEN_TREE_CLONE)). The copy is attached to no mount
 * namespace, so nothing is left on the host if ns dies, and it goes away
 * with the last fd or process that uses it.
 */
export function openSealedExecutable(): number {
  const exe = cstr("/proc/self/exe");
  const fd = syscall("open_tree", SYS.open_tree, "/proc/self/exe", -100, ptr(exe), OPEN_TREE_CLONE | O_CLOEXEC);
  const attr = new BigUint64Array(new ArrayBuffer(32));
  attr[0] = BigInt(MOUNT_ATTR_RDONLY);
  const empty = cstr("");
  syscall("mount_setattr", SYS.mount_setattr, "/proc/self/exe", fd, ptr(empty), AT_EMPTY_PATH | AT_RECURSIVE, ptr(attr), 32);
  return fd;
}
