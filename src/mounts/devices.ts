// Device nodes and the standard /dev links of a container's /dev.
import { closeSync, existsSync, openSync, statSync } from "node:fs";
import { chmod, chown, mknod, mount, symlink, SyscallError, unlink } from "../ffi/libc.ts";
import { MS_BIND } from "./options.ts";
import { secureJoin } from "./securejoin.ts";
import { mkdirAll } from "./paths.ts";

export interface DeviceSpec {
  path: string;
  type: string;
  major?: number | undefined;
  minor?: number | undefined;
  fileMode?: number | undefined;
  uid?: number | undefined;
  gid?: number | undefined;
}

/** The devices every container gets, as runc and the OCI spec list them. */
export const DEFAULT_DEVICES: readonly DeviceSpec[] = [
  { path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/zero", type: "c", major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/full", type: "c", major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/random", type: "c", major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/urandom", type: "c", major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/tty", type: "c", major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
];

const S_IFIFO = 0o010000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

function nodeType(type: string, path: string): number {
  switch (type) {
    case "c":
    case "u":
      return S_IFCHR;
    case "b":
      return S_IFBLK;
    case "p":
      return S_IFIFO;
    default:
      throw new Error(`linux.devices: ${path}: unknown device type "${type}" (expected c, b, u or p)`);
  }
}

/**
 * Creates the devices in the rootfs. In a user namespace mknod is not
 * allowed, so each device is a bind mount of the host's node instead.
 */
export function createDevices(rootfs: string, devices: readonly DeviceSpec[], bindFromHost: boolean): void {
  const seen = new Set<string>();
  for (const dev of devices) {
    if (seen.has(dev.path)) continue;
    seen.add(dev.path);
    const dest = secureJoin(rootfs, dev.path);
    mkdirAll(dest.slice(0, dest.lastIndexOf("/")), 0o755);
    if (bindFromHost) {
      bindDevice(dev, dest);
      continue;
    }
    const type = nodeType(dev.type, dev.path);
    try {
      unlink(dest);
    } catch {
      // Nothing was there.
    }
    const mode = (dev.fileMode ?? 0o666) & 0o7777;
    if (type !== S_IFIFO && (dev.major === undefined || dev.minor === undefined)) {
      throw new Error(`linux.devices: ${dev.path}: major and minor are required for type "${dev.type}"`);
    }
    mknod(dest, type | mode, makedev(dev.major ?? 0, dev.minor ?? 0));
    // mknod applies the umask; the config's mode is meant exactly.
    chmod(dest, mode);
    chown(dest, dev.uid ?? 0, dev.gid ?? 0);
  }
}

function bindDevice(dev: DeviceSpec, dest: string): void {
  if (!existsSync(dest)) closeSync(openSync(dest, "a", 0o000));
  try {
    statSync(dev.path);
  } catch (cause) {
    throw new SyscallError("stat", 2, dev.path, { cause });
  }
  mount(dev.path, dest, "bind", MS_BIND);
}

/** The links runc and the OCI spec put in /dev: fd, stdin, stdout, stderr, core and ptmx. */
export function createDevSymlinks(rootfs: string, ptmx: boolean): void {
  const links: [string, string][] = [
    ["/proc/self/fd", "/dev/fd"],
    ["/proc/self/fd/0", "/dev/stdin"],
    ["/proc/self/fd/1", "/dev/stdout"],
    ["/proc/self/fd/2", "/dev/stderr"],
  ];
  if (existsSync("/proc/kcore")) links.push(["/proc/kcore", "/dev/core"]);
  for (const [target, path] of links) {
    try {
      symlink(target, secureJoin(rootfs, path));
    } catch (e) {
      if (!(e instanceof SyscallError && e.code === "EEXIST")) throw e;
    }
  }
  if (!ptmx) return;
  const ptmxPath = secureJoin(rootfs, "/dev/ptmx");
  try {
    unlink(ptmxPath);
  } catch {
    // Nothing was there.
  }
  symlink("pts/ptmx", ptmxPath);
}
