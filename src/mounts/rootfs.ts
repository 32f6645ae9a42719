// The container's mount namespace, set up by the init stage before pivot_root:
// root propagation, the rootfs bind, the config's mounts in order, /dev.
import { existsSync, statSync } from "node:fs";
import {
  AT_RECURSIVE,
  errnoName,
  errnoText,
  mount,
  mountSetattr,
  statfsFlags,
  SyscallError,
} from "../ffi/libc.ts";
import { mountCgroupfs } from "./cgroupfs.ts";
import { createDevices, createDevSymlinks, DEFAULT_DEVICES, type DeviceSpec } from "./devices.ts";
import { mountContaining, readMountInfo } from "./mountinfo.ts";
import {
  MS_BIND,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_PRIVATE,
  MS_SHARED,
  MS_RDONLY,
  MS_REC,
  MS_REMOUNT,
  MS_SLAVE,
  MS_NOATIME,
  MS_NODIRATIME,
  MS_RELATIME,
  MS_STRICTATIME,
  needsRemount,
  parseMountOptions,
  type ParsedOptions,
} from "./options.ts";
import { describeError } from "../errors.ts";
import { copyUp } from "./copyup.ts";
import { ensureFile, isDirectory, mkdirAll } from "./paths.ts";
import { secureJoin } from "./securejoin.ts";

export interface MountSpec {
  destination: string;
  source?: string | undefined;
  type?: string | undefined;
  options?: readonly string[] | undefined;
  uidMappings?: readonly unknown[] | undefined;
  gidMappings?: readonly unknown[] | undefined;
}

export interface RootfsContext {
  /** Absolute host path of the rootfs. */
  rootfs: string;
  /** Bundle directory, for relative bind sources. */
  bundle: string;
  mounts: readonly MountSpec[];
  devices: readonly DeviceSpec[];
  /** The container has a user namespace: devices are bind mounts, locked flags are kept. */
  userNamespace: boolean;
  cgroupNamespace: boolean;
  /** The container's cgroup path, for cgroupfs binds without a cgroup namespace. */
  cgroupPath?: string | undefined;
  rootfsPropagation?: string | undefined;
  /** process.cwd, created (as runc does) after the mounts, while the rootfs is still writable. */
  cwd?: string | undefined;
}

const ST_RDONLY = 0x1;
const ST_NOSUID = 0x2;
const ST_NODEV = 0x4;
const ST_NOEXEC = 0x8;
const ST_NOATIME = 0x400;
const ST_NODIRATIME = 0x800;
const ST_RELATIME = 0x1000;

/**
 * Reads the MS_* flags of the mount that contains path with statfs(2). A
 * remount in a user namespace may not clear them (the kernel locks them), so
 * there they must be repeated.
 */
export function mountFlags(path: string): number {
  const st = statfsFlags(path);
  let flags = 0;
  if (st & ST_RDONLY) flags |= MS_RDONLY;
  if (st & ST_NOSUID) flags |= MS_NOSUID;
  if (st & ST_NODEV) flags |= MS_NODEV;
  if (st & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st & ST_NOATIME) flags |= MS_NOATIME;
  if (st & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

const ATIME_FLAGS = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;

/** Remounts a bind mount with flags; on EPERM retries with the flags the kernel locked. */
export function remountBind(path: string, flags: number, cleared = 0): void {
  try {
    mount(null, path, null, MS_REMOUNT | MS_BIND | flags);
  } catch (e) {
    if (!(e instanceof SyscallError && e.code === "EPERM")) throw e;
    let locked = mountFlags(path) & ~cleared;
    // An explicit atime option replaces the locked one only if it is the same.
    if (flags & ATIME_FLAGS) locked &= ~ATIME_FLAGS;
    mount(null, path, null, MS_REMOUNT | MS_BIND | flags | locked);
  }
}

/**
 * Makes every inherited mount a slave, so that nothing mounted for the
 * container reaches the host, and binds the rootfs onto itself, because
 * pivot_root needs a mount point. "rprivate" also cuts the events from the
 * host. "rshared" keeps the inherited mounts in the host's peer groups, as
 * runc does: a bind of a shared host directory then passes mounts both ways
 * (Kubernetes' Bidirectional propagation), while the rootfs itself is made
 * private below. setRootPropagation applies rootfsPropagation to the new
 * root after pivot_root, so that under "private" a bind's own "rslave"
 * option still receives the host's events.
 */
export function prepareRoot(ctx: RootfsContext): void {
  let flag = MS_SLAVE | MS_REC;
  if (ctx.rootfsPropagation === "rprivate") flag = MS_PRIVATE | MS_REC;
  if (ctx.rootfsPropagation === "rshared") flag = MS_SHARED | MS_REC;
  mount(null, "/", null, flag);

  // pivot_root fails when the parent mount of the new root is shared.
  const mounts = readMountInfo();
  const parent = mountContaining(mounts, ctx.rootfs.replace(/\/[^/]*$/, "") || "/");
  if (parent && parent.optional.some((o) => o.startsWith("shared:"))) {
    mount(null, parent.mountPoint, null, MS_PRIVATE);
  }

  try {
    mount(ctx.rootfs, ctx.rootfs, "bind", MS_BIND | MS_REC);
  } catch (e) {
    throw withField("root.path", e);
  }
}

/** Mounts every entry of `mounts` in config order, then /dev's devices and links, then creates the cwd. */
export function mountAll(ctx: RootfsContext): void {
  ctx.mounts.forEach((m, i) => mountEntry(ctx, m, `mounts[${i}]`));
  if (needsDevSetup(ctx.mounts)) {
    // An entry of linux.devices replaces the default device at the same path.
    const devices = [...ctx.devices, ...DEFAULT_DEVICES];
    createDevices(ctx.rootfs, devices, ctx.userNamespace);
    const hasDevpts = ctx.mounts.some((m) => m.type === "devpts");
    createDevSymlinks(ctx.rootfs, hasDevpts);
  } else if (ctx.devices.length > 0) {
    createDevices(ctx.rootfs, ctx.devices, ctx.userNamespace);
  }
  if (ctx.cwd !== undefined) {
    try {
      mkdirAll(secureJoin(ctx.rootfs, ctx.cwd));
    } catch (e) {
      throw withField("process.cwd", e);
    }
  }
}

/** Without a bind mount over /dev, the runtime populates the container's /dev. */
function needsDevSetup(mounts: readonly MountSpec[]): boolean {
  return !mounts.some((m) => m.destination.replace(/\/+$/, "") === "/dev" && isBind(m, parseMountOptions(m.options)));
}

function isBind(m: MountSpec, opts: ParsedOptions): boolean {
  return m.type === "bind" || opts.bind;
}

function withField(field: string, err: unknown): Error {
  return new Error(`${field}: ${describeError(err)}`, { cause: err });
}

function mountEntry(ctx: RootfsContext, m: MountSpec, field: string): void {
  const opts = parseMountOptions(m.options);
  const dest = secureJoin(ctx.rootfs, m.destination);
  try {
    // An ID-mapped mount needs mount_setattr(MOUNT_ATTR_IDMAP) from the host's
    // user namespace, which the init stage has left by now.
    if (opts.idmap || m.uidMappings?.length || m.gidMappings?.length) throw new Error("ID-mapped mounts are not supported");
    if (isBind(m, opts)) mountBind(ctx, m, opts, dest);
    else if (m.type === "cgroup" || m.type === "cgroup2") mountCgroupfs(dest, m.type, opts, ctx);
    else mountFilesystem(ctx, m, opts, dest);
  } catch (e) {
    throw withField(`${field} (${m.destination})`, e);
  }
  for (const propagation of opts.propagation) mount(null, dest, null, propagation);
  if (opts.recursive.set || opts.recursive.clear) {
    mountSetattr(dest, AT_RECURSIVE, opts.recursive.set, opts.recursive.clear);
  }
}

function mountBind(ctx: RootfsContext, m: MountSpec, opts: ParsedOptions, dest: string): void {
  if (!m.source) throw new Error("source is missing, and a bind mount needs one");
  const source = m.source.startsWith("/") ? m.source : `${ctx.bundle}/${m.source}`;
  let sourceIsDir: boolean;
  try {
    sourceIsDir = statSync(source).isDirectory();
  } catch (cause) {
    const errno = Math.abs((cause as { errno?: number }).errno ?? 2);
    throw new Error(`source ${JSON.stringify(source)}: ${errnoName(errno)} (${errnoText(errno)})`, { cause });
  }
  if (sourceIsDir) mkdirAll(dest);
  else ensureFile(dest);
  mount(source, dest, "bind", MS_BIND | (opts.rbind ? MS_REC : 0));
  if (needsRemount(opts)) remountBind(dest, opts.flags & ~MS_REMOUNT, opts.cleared);
}

function mountFilesystem(ctx: RootfsContext, m: MountSpec, opts: ParsedOptions, dest: string): void {
  const type = m.type ?? "none";
  if (!isDirectory(dest)) mkdirAll(dest);
  const data = opts.data.join(",") || null;
  const flags = opts.flags & ~MS_REMOUNT;
  if (opts.tmpcopyup) {
    if (type !== "tmpfs") throw new Error(`option "tmpcopyup" applies only to a tmpfs, not to type ${JSON.stringify(type)}`);
    copyUp(dest, () => mount(m.source ?? type, dest, type, flags, data));
    return;
  }
  try {
    mount(m.source ?? type, dest, type, flags, data);
  } catch (e) {
    // Without a network namespace of its own, a user namespace may not mount
    // sysfs (nor, without an ipc namespace, mqueue); bind the host's instead.
    if (!(e instanceof SyscallError && e.code === "EPERM" && ctx.userNamespace)) throw e;
    const fallback = type === "sysfs" ? "/sys" : type === "mqueue" ? "/dev/mqueue" : undefined;
    if (fallback === undefined || !existsSync(fallback)) throw e;
    mount(fallback, dest, "bind", MS_BIND | MS_REC);
    if (flags) remountBind(dest, flags, opts.cleared);
  }
}
