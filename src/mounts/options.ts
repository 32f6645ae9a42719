// Translation of OCI mount options into mount(2) flags, propagation flags,
// mount_setattr(2) attributes for the recursive variants, and fs data.

export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_SYNCHRONOUS = 0x10;
export const MS_REMOUNT = 0x20;
export const MS_MANDLOCK = 0x40;
export const MS_DIRSYNC = 0x80;
export const MS_NOSYMFOLLOW = 0x100;
export const MS_NOATIME = 0x400;
export const MS_NODIRATIME = 0x800;
export const MS_BIND = 0x1000;
export const MS_MOVE = 0x2000;
export const MS_REC = 0x4000;
export const MS_SILENT = 0x8000;
export const MS_UNBINDABLE = 0x20000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;
export const MS_RELATIME = 0x200000;
export const MS_STRICTATIME = 0x1000000;
export const MS_LAZYTIME = 0x2000000;

export const MOUNT_ATTR_RDONLY = 0x1;
export const MOUNT_ATTR_NOSUID = 0x2;
export const MOUNT_ATTR_NODEV = 0x4;
export const MOUNT_ATTR_NOEXEC = 0x8;
export const MOUNT_ATTR__ATIME = 0x70;
export const MOUNT_ATTR_RELATIME = 0x0;
export const MOUNT_ATTR_NOATIME = 0x10;
export const MOUNT_ATTR_STRICTATIME = 0x20;
export const MOUNT_ATTR_NODIRATIME = 0x80;
export const MOUNT_ATTR_IDMAP = 0x100000;
export const MOUNT_ATTR_NOSYMFOLLOW = 0x200000;

/** The flags an option sets, or clears when `clear` is true. */
const FLAG_OPTIONS: Record<string, { flag: number; clear?: boolean }> = {
  async: { flag: MS_SYNCHRONOUS, clear: true },
  atime: { flag: MS_NOATIME, clear: true },
  defaults: { flag: 0 },
  dev: { flag: MS_NODEV, clear: true },
  diratime: { flag: MS_NODIRATIME, clear: true },
  dirsync: { flag: MS_DIRSYNC },
  exec: { flag: MS_NOEXEC, clear: true },
  mand: { flag: MS_MANDLOCK },
  noatime: { flag: MS_NOATIME },
  nodev: { flag: MS_NODEV },
  nodiratime: { flag: MS_NODIRATIME },
  noexec: { flag: MS_NOEXEC },
  nomand: { flag: MS_MANDLOCK, clear: true },
  norelatime: { flag: MS_RELATIME, clear: true },
  nostrictatime: { flag: MS_STRICTATIME, clear: true },
  nosuid: { flag: MS_NOSUID },
  nosymfollow: { flag: MS_NOSYMFOLLOW },
  relatime: { flag: MS_RELATIME },
  remount: { flag: MS_REMOUNT },
  ro: { flag: MS_RDONLY },
  rw: { flag: MS_RDONLY, clear: true },
  strictatime: { flag: MS_STRICTATIME },
  suid: { flag: MS_NOSUID, clear: true },
  sync: { flag: MS_SYNCHRONOUS },
  lazytime: { flag: MS_LAZYTIME },
  nolazytime: { flag: MS_LAZYTIME, clear: true },
  silent: { flag: MS_SILENT },
  loud: { flag: MS_SILENT, clear: true },
};

const PROPAGATION_OPTIONS: Record<string, number> = {
  private: MS_PRIVATE,
  rprivate: MS_PRIVATE | MS_REC,
  shared: MS_SHARED,
  rshared: MS_SHARED | MS_REC,
  slave: MS_SLAVE,
  rslave: MS_SLAVE | MS_REC,
  unbindable: MS_UNBINDABLE,
  runbindable: MS_UNBINDABLE | MS_REC,
};

/** Recursive variants, applied to a whole mount tree with mount_setattr(AT_RECURSIVE). */
const RECURSIVE_OPTIONS: Record<string, { set: number; clear: number }> = {
  rro: { set: MOUNT_ATTR_RDONLY, clear: 0 },
  rrw: { set: 0, clear: MOUNT_ATTR_RDONLY },
  rnosuid: { set: MOUNT_ATTR_NOSUID, clear: 0 },
  rsuid: { set: 0, clear: MOUNT_ATTR_NOSUID },
  rnodev: { set: MOUNT_ATTR_NODEV, clear: 0 },
  rdev: { set: 0, clear: MOUNT_ATTR_NODEV },
  rnoexec: { set: MOUNT_ATTR_NOEXEC, clear: 0 },
  rexec: { set: 0, clear: MOUNT_ATTR_NOEXEC },
  rnodiratime: { set: MOUNT_ATTR_NODIRATIME, clear: 0 },
  rdiratime: { set: 0, clear: MOUNT_ATTR_NODIRATIME },
  rrelatime: { set: MOUNT_ATTR_RELATIME, clear: MOUNT_ATTR__ATIME },
  rnorelatime: { set: 0, clear: MOUNT_ATTR__ATIME },
  rnoatime: { set: MOUNT_ATTR_NOATIME, clear: MOUNT_ATTR__ATIME },
  ratime: { set: 0, clear: MOUNT_ATTR__ATIME },
  rstrictatime: { set: MOUNT_ATTR_STRICTATIME, clear: MOUNT_ATTR__ATIME },
  rnostrictatime: { set: 0, clear: MOUNT_ATTR__ATIME },
  rnosymfollow: { set: MOUNT_ATTR_NOSYMFOLLOW, clear: 0 },
  rsymfollow: { set: 0, clear: MOUNT_ATTR_NOSYMFOLLOW },
};

export interface ParsedOptions {
  /** mount(2) flags, without MS_BIND/MS_REC for binds. */
  flags: number;
  /** Flags the options explicitly clear (e.g. "rw", "suid"); a remount must not add them back. */
  cleared: number;
  /** Propagation changes, applied one by one after the mount. */
  propagation: number[];
  /** mount_setattr attributes for the recursive options. */
  recursive: { set: number; clear: number };
  bind: boolean;
  rbind: boolean;
  /** idmap / ridmap (runtime-spec 1.2): an ID-mapped mount. */
  idmap: boolean;
  /** runc's extension: copy the destination's contents into a new tmpfs. */
  tmpcopyup: boolean;
  /** Options passed to the filesystem as data ("mode=755,size=65536k"). */
  data: string[];
}

/** Splits OCI mount options into flags, propagation, recursive attributes and fs data. */
export function parseMountOptions(options: readonly string[] = []): ParsedOptions {
  const parsed: ParsedOptions = {
    flags: 0,
    cleared: 0,
    propagation: [],
    recursive: { set: 0, clear: 0 },
    bind: false,
    rbind: false,
    idmap: false,
    tmpcopyup: false,
    data: [],
  };
  for (const option of options) {
    const flag = lookup(FLAG_OPTIONS, option);
    if (flag) {
      if (flag.clear) {
        parsed.flags &= ~flag.flag;
        parsed.cleared |= flag.flag;
      } else {
        parsed.flags |= flag.flag;
        parsed.cleared &= ~flag.flag;
      }
      continue;
    }
    const propagation = lookup(PROPAGATION_OPTIONS, option);
    if (propagation !== undefined) {
      parsed.propagation.push(propagation);
      continue;
    }
    const recursive = lookup(RECURSIVE_OPTIONS, option);
    if (recursive) {
      parsed.recursive.set = (parsed.recursive.set & ~recursive.clear) | recursive.set;
      parsed.recursive.clear |= recursive.clear;
      continue;
    }
    switch (option) {
      case "bind":
        parsed.bind = true;
        break;
      case "rbind":
        parsed.bind = true;
        parsed.rbind = true;
        break;
      case "idmap":
      case "ridmap":
        parsed.idmap = true;
        if (option === "ridmap") parsed.rbind = true;
        break;
      case "tmpcopyup":
        parsed.tmpcopyup = true;
        break;
      default:
        parsed.data.push(option);
    }
  }
  return parsed;
}

/** The propagation flag of `rootfsPropagation` or of a propagation option, if the name is one. */
export function propagationFlag(name: string): number | undefined {
  return lookup(PROPAGATION_OPTIONS, name);
}

/** Looks key up among the table's own keys only, so that "constructor" or "toString" is no option. */
function lookup<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Flags of a bind mount's follow-up remount: only those that a bind mount ignores on creation. */
export function needsRemount(parsed: ParsedOptions): boolean {
  return (parsed.flags & ~(MS_REMOUNT | MS_SILENT)) !== 0 || parsed.cleared !== 0;
}
