// renameat2(2) with RENAME_NOREPLACE (Linux 3.15; tmpfs, ext4, xfs and btrfs
// support it): a rename that fails with EEXIST instead of replacing the
// target. Plain rename(2) replaces an empty directory, so it cannot publish
// a directory under a name that must not be taken.
import { ptr } from "bun:ffi";
import { AT_FDCWD, cstr, syscall } from "./libc.ts";

/** renameat2 on x86_64. */
const SYS_RENAMEAT2 = 316;
const RENAME_NOREPLACE = 1;

/** Renames from to to unless to exists; throws SyscallError, EEXIST when it does. */
export function renameNoReplace(from: string, to: string): void {
  const fromPath = cstr(from);
  const toPath = cstr(to);
  syscall("renameat2", SYS_RENAMEAT2, to, AT_FDCWD, ptr(fromPath), AT_FDCWD, ptr(toPath), RENAME_NOREPLACE);
}
