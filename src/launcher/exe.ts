// The executable the init stage runs from. A container could otherwise reach
// the ns binary through /proc/PID/exe (or an entrypoint of "#!/proc/self/exe")
// and, once ns exits, reopen it for writing and replace it on the host
// (CVE-2019-5736). Executing it from a read-only bind mount that is detached
// at once closes that path: every reopen of /proc/PID/exe lands on a
// read-only mount and fails with EROFS. Copying the ~100 MB binary into a
// sealed memfd, as runc does, would cost far more per start.
import { closeSync, mkdirSync, openSync, unlinkSync } from "node:fs";
import { mount, O_CLOEXEC, O_PATH, open, umount2 } from "../ffi/libc.ts";
import { MS_BIND, MS_RDONLY, MS_REMOUNT } from "../mounts/options.ts";

const MNT_DETACH = 2;

/** Returns an O_PATH fd of the running executable on a detached read-only mount. */
export function openSealedExecutable(stateRoot: string): number {
  // A mount point of this launcher's own, removed again before it returns.
  const target = `${stateRoot}/.ns-exe.${process.pid}`;
  mkdirSync(stateRoot, { recursive: true, mode: 0o711 });
  closeSync(openSync(target, "w", 0o500));
  try {
    mount("/proc/self/exe", target, null, MS_BIND);
    try {
      mount(null, target, null, MS_REMOUNT | MS_BIND | MS_RDONLY);
      return open(target, O_PATH | O_CLOEXEC);
    } finally {
      umount2(target, MNT_DETACH);
    }
  } finally {
    unlinkSync(target);
  }
}
