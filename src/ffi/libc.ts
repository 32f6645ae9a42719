// The one module that opens libc. Each wrapper reads errno right after the
// call and throws a SyscallError naming the call, the errno and the target.
import { dlopen, FFIType, ptr, read as peek, type Pointer } from "bun:ffi";
import { constants } from "node:os";

const { i32, u32, i64_fast, u64, ptr: P, cstring } = FFIType;
const usize = FFIType.u64_fast;

/** Memory that C may read or write. */
export type Bytes = NodeJS.TypedArray | DataView;

const lib = dlopen("libc.so.6", {
  __errno_location: { args: [], returns: P },
  strerror: { args: [i32], returns: cstring },
  syscall: { args: [i64_fast, i64_fast, i64_fast, i64_fast, i64_fast, i64_fast, i64_fast], returns: i64_fast },
  mount: { args: [P, P, P, u64, P], returns: i32 },
  umount2: { args: [P, i32], returns: i32 },
  open: { args: [P, i32, i32], returns: i32 },
  openat: { args: [i32, P, i32, i32], returns: i32 },
  close: { args: [i32], returns: i32 },
  read: { args: [i32, P, usize], returns: i64_fast },
  write: { args: [i32, P, usize], returns: i64_fast },
  fcntl: { args: [i32, i32, i64_fast], returns: i32 },
  ioctl: { args: [i32, u64, P], returns: i32 },
  dup: { args: [i32], returns: i32 },
  dup3: { args: [i32, i32, i32], returns: i32 },
  pipe2: { args: [P, i32], returns: i32 },
  socketpair: { args: [i32, i32, i32, P], returns: i32 },
  sendmsg: { args: [i32, P, i32], returns: i64_fast },
  recvmsg: { args: [i32, P, i32], returns: i64_fast },
  poll: { args: [P, u64, i32], returns: i32 },
  chdir: { args: [P], returns: i32 },
  fchdir: { args: [i32], returns: i32 },
  chroot: { args: [P], returns: i32 },
  mkdir: { args: [P, i32], returns: i32 },
  mknod: { args: [P, i32, u64], returns: i32 },
  mkfifo: { args: [P, i32], returns: i32 },
  symlink: { args: [P, P], returns: i32 },
  unlink: { args: [P], returns: i32 },
  rmdir: { args: [P], returns: i32 },
  chmod: { args: [P, i32], returns: i32 },
  chown: { args: [P, i32, i32], returns: i32 },
  fchown: { args: [i32, i32, i32], returns: i32 },
  sethostname: { args: [P, usize], returns: i32 },
  setdomainname: { args: [P, usize], returns: i32 },
  unshare: { args: [i32], returns: i32 },
  setns: { args: [i32, i32], returns: i32 },
  kill: { args: [i32, i32], returns: i32 },
  prctl: { args: [i32, u64, u64, u64, u64], returns: i32 },
  flock: { args: [i32, i32], returns: i32 },
  setsid: { args: [], returns: i32 },
  umask: { args: [i32], returns: i32 },
  getpid: { args: [], returns: i32 },
  getppid: { args: [], returns: i32 },
  getuid: { args: [], returns: i32 },
  isatty: { args: [i32], returns: i32 },
  tcgetattr: { args: [i32, P], returns: i32 },
  tcsetattr: { args: [i32, i32, P], returns: i32 },
  cfmakeraw: { args: [P], returns: FFIType.void },
  waitpid: { args: [i32, P, i32], returns: i32 },
  statfs: { args: [P, P], returns: i32 },
  socket: { args: [i32, i32, i32], returns: i32 },
  connect: { args: [i32, P, u32], returns: i32 },
});

const fn = lib.symbols;

/** Numbers of the system calls that glibc 2.36 wraps poorly or not at all (x86_64). */
export const SYS = {
  pivot_root: 155,
  close_range: 436,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  mount_setattr: 442,
  pidfd_open: 434,
  pidfd_send_signal: 424,
  bpf: 321,
  memfd_create: 319,
  execveat: 322,
  seccomp: 317,
  prlimit64: 302,
  getcwd: 79,
  clone3: 435,
} as const;

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}

/** The symbolic name of an errno value, such as "EPERM". */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

/** The C library's description of an errno value, in lower case. */
export function errnoText(errno: number): string {
  const text = String(fn.strerror(errno));
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** A failed system call: which call, its errno, and what it acted on. */
export class SyscallError extends Error {
  override name = "SyscallError";
  constructor(
    readonly syscall: string,
    readonly errno: number,
    readonly target?: string,
    options?: ErrorOptions,
  ) {
    const on = target === undefined ? "" : ` ${JSON.stringify(target)}`;
    super(`${syscall}${on}: ${errnoName(errno)} (${errnoText(errno)})`, options);
  }

  /** The errno name, as Node's errors carry it. */
  get code(): string {
    return errnoName(this.errno);
  }
}

const errnoLocation = fn.__errno_location()!;

/** The errno of the last failed call on the main thread. */
export function errno(): number {
  return peek.i32(errnoLocation, 0);
}


function check(ret: number, syscall: string, target?: string | number): number {
  if (ret < 0) throw new SyscallError(syscall, errno(), target === undefined ? undefined : String(target));
  return ret;
}

/** A NUL-terminated copy of s, for passing to C. Keep it referenced while C uses it. */
export function cstr(s: string): Buffer {
  return Buffer.from(s + "\0");
}

function p(buf: Bytes | null): Pointer | null {
  return buf === null ? null : ptr(buf);
}

// Open flags and other constants with the kernel's spelling (x86_64).
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_NONBLOCK = 0o4000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;
export const AT_FDCWD = -100;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const F_DUPFD_CLOEXEC = 1030;
export const FD_CLOEXEC = 1;
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

export function mount(
  source: string | null,
  target: string,
  fstype: string | null,
  flags: number | bigint,
  data: string | null = null,
): void {
  const r = fn.mount(
    p(source === null ? null : cstr(source)),
    ptr(cstr(target)),
    p(fstype === null ? null : cstr(fstype)),
    BigInt(flags),
    p(data === null ? null : cstr(data)),
  );
  check(r, "mount", target);
}

export function umount2(target: string, flags: number): void {
  check(fn.umount2(ptr(cstr(target)), flags), "umount2", target);
}

export function pivotRoot(newRoot: string, putOld: string): void {
  const a = cstr(newRoot);
  const b = cstr(putOld);
  check(Number(fn.syscall(SYS.pivot_root, ptr(a) as unknown as number, ptr(b) as unknown as number, 0, 0, 0, 0)), "pivot_root", newRoot);
}

export function open(path: string, flags: number, mode = 0): number {
  return check(fn.open(ptr(cstr(path)), flags, mode), "open", path);
}

export function openat(dirfd: number, path: string, flags: number, mode = 0): number {
  return check(fn.openat(dirfd, ptr(cstr(path)), flags, mode), "openat", path);
}

export function close(fd: number): void {
  check(fn.close(fd), "close", fd);
}

/** Reads up to buf.length bytes; returns the count (0 at EOF). Retries EINTR. */
export function read(fd: number, buf: Uint8Array, offset = 0, length = buf.length - offset): number {
  for (;;) {
    const r = Number(fn.read(fd, ptr(buf, offset), length));
    if (r >= 0) return r;
    const e = errno();
    if (e !== constants.errno.EINTR) throw new SyscallError("read", e, `fd ${fd}`);
  }
}

/** Writes all of buf, retrying EINTR and short writes. */
export function writeAll(fd: number, buf: Uint8Array): void {
  let done = 0;
  while (done < buf.length) {
    const r = Number(fn.write(fd, ptr(buf, done), buf.length - done));
    if (r < 0) {
      const e = errno();
      if (e === constants.errno.EINTR) continue;
      throw new SyscallError("write", e, `fd ${fd}`);
    }
    done += r;
  }
}

export function fcntl(fd: number, cmd: number, arg = 0): number {
  return check(fn.fcntl(fd, cmd, arg), "fcntl", `fd ${fd}`);
}

export function ioctl(fd: number, request: number, arg: Bytes | null, name = "ioctl"): number {
  return check(fn.ioctl(fd, BigInt(request), arg === null ? null : ptr(arg)), name, `fd ${fd}`);
}

/** ioctl with an integer argument passed by value. */
export function ioctlValue(fd: number, request: number, value: number, name = "ioctl"): number {
  return check(fn.ioctl(fd, BigInt(request), value as unknown as Pointer), name, `fd ${fd}`);
}

export function dup3(oldfd: number, newfd: number, flags: number): number {
  return check(fn.dup3(oldfd, newfd, flags), "dup3", `fd ${oldfd}`);
}

export function setCloexec(fd: number, on: boolean): void {
  fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0);
}

/** Returns [readEnd, writeEnd]. */
export function pipe2(flags: number): [number, number] {
  const fds = new Int32Array(new ArrayBuffer(8));
  check(fn.pipe2(ptr(fds), flags), "pipe2");
  return [fds[0]!, fds[1]!];
}

export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
export const SOCK_SEQPACKET = 5;
export const SOCK_CLOEXEC = 0o2000000;

export function socketpair(domain: number, type: number): [number, number] {
  const fds = new Int32Array(new ArrayBuffer(8));
  check(fn.socketpair(domain, type, 0, ptr(fds)), "socketpair");
  return [fds[0]!, fds[1]!];
}

export function sendmsg(fd: number, msghdr: Bytes, flags = 0): number {
  for (;;) {
    const r = Number(fn.sendmsg(fd, ptr(msghdr), flags));
    if (r >= 0) return r;
    const e = errno();
    if (e !== constants.errno.EINTR) throw new SyscallError("sendmsg", e, `fd ${fd}`);
  }
}

export function recvmsg(fd: number, msghdr: Bytes, flags = 0): number {
  for (;;) {
    const r = Number(fn.recvmsg(fd, ptr(msghdr), flags));
    if (r >= 0) return r;
    const e = errno();
    if (e !== constants.errno.EINTR) throw new SyscallError("recvmsg", e, `fd ${fd}`);
  }
}

export const POLLIN = 1;
export const POLLHUP = 0x10;

/** Waits until fd is readable or hung up; returns false on timeout. */
export function pollIn(fd: number, timeoutMs: number): boolean {
  const pfd = new Int32Array(new ArrayBuffer(8));
  pfd[0] = fd;
  pfd[1] = POLLIN;
  for (;;) {
    const r = fn.poll(ptr(pfd), 1n, timeoutMs);
    if (r >= 0) return r > 0;
    const e = errno();
    if (e !== constants.errno.EINTR) throw new SyscallError("poll", e, `fd ${fd}`);
  }
}

export function chdir(path: string): void {
  check(fn.chdir(ptr(cstr(path))), "chdir", path);
}

export function fchdir(fd: number): void {
  check(fn.fchdir(fd), "fchdir", `fd ${fd}`);
}

export function chroot(path: string): void {
  check(fn.chroot(ptr(cstr(path))), "chroot", path);
}

export function mkdir(path: string, mode: number): void {
  check(fn.mkdir(ptr(cstr(path)), mode), "mkdir", path);
}

export function mknod(path: string, mode: number, dev: bigint): void {
  check(fn.mknod(ptr(cstr(path)), mode, dev), "mknod", path);
}

export function mkfifo(path: string, mode: number): void {
  check(fn.mkfifo(ptr(cstr(path)), mode), "mkfifo", path);
}

export function symlink(target: string, path: string): void {
  check(fn.symlink(ptr(cstr(target)), ptr(cstr(path))), "symlink", path);
}

export function unlink(path: string): void {
  check(fn.unlink(ptr(cstr(path))), "unlink", path);
}

export function rmdir(path: string): void {
  check(fn.rmdir(ptr(cstr(path))), "rmdir", path);
}

export function chmod(path: string, mode: number): void {
  check(fn.chmod(ptr(cstr(path)), mode), "chmod", path);
}

export function chown(path: string, uid: number, gid: number): void {
  check(fn.chown(ptr(cstr(path)), uid, gid), "chown", path);
}

export function fchown(fd: number, uid: number, gid: number): void {
  check(fn.fchown(fd, uid, gid), "fchown", `fd ${fd}`);
}

export function sethostname(name: string): void {
  const b = Buffer.from(name);
  check(fn.sethostname(ptr(b.length ? b : Buffer.alloc(1)), b.length), "sethostname", name);
}

export function setdomainname(name: string): void {
  const b = Buffer.from(name);
  check(fn.setdomainname(ptr(b.length ? b : Buffer.alloc(1)), b.length), "setdomainname", name);
}

export function unshare(flags: number): void {
  check(fn.unshare(flags), "unshare", `0x${flags.toString(16)}`);
}

export function setns(fd: number, nstype: number, target?: string): void {
  check(fn.setns(fd, nstype), "setns", target ?? `fd ${fd}`);
}

export function kill(pid: number, sig: number): void {
  check(fn.kill(pid, sig), "kill", pid);
}

/** kill() that reports instead of throwing; returns the errno, or 0. */
export function tryKill(pid: number, sig: number): number {
  return fn.kill(pid, sig) < 0 ? errno() : 0;
}

export function prctl(option: number, a = 0n, b = 0n, c = 0n, d = 0n): number {
  return check(fn.prctl(option, a, b, c, d), "prctl", option);
}

export function flock(fd: number, op: number, target?: string): boolean {
  const r = fn.flock(fd, op);
  if (r < 0) {
    const e = errno();
    if (e === constants.errno.EWOULDBLOCK && op & LOCK_NB) return false;
    throw new SyscallError("flock", e, target ?? `fd ${fd}`);
  }
  return true;
}

export function setsid(): number {
  return check(fn.setsid(), "setsid");
}

export function umask(mask: number): number {
  return fn.umask(mask);
}

export function getpid(): number {
  return fn.getpid();
}

export function getppid(): number {
  return fn.getppid();
}

export function isatty(fd: number): boolean {
  return fn.isatty(fd) === 1;
}

/** Termios is 60 bytes on x86_64; 64 leaves room. */
export function tcgetattr(fd: number): Uint8Array {
  const t = new Uint8Array(new ArrayBuffer(64));
  check(fn.tcgetattr(fd, ptr(t)), "tcgetattr", `fd ${fd}`);
  return t;
}

export const TCSANOW = 0;
export const TCSADRAIN = 1;

export function tcsetattr(fd: number, when: number, termios: Uint8Array): void {
  check(fn.tcsetattr(fd, when, ptr(termios)), "tcsetattr", `fd ${fd}`);
}

export function cfmakeraw(termios: Uint8Array): void {
  fn.cfmakeraw(ptr(termios));
}

/** A raw system call; returns its result, throwing SyscallError on failure. */
export function syscall(name: string, nr: number, target: string | undefined, ...args: (number | Pointer | null)[]): number {
  const a = args.map((x) => (x === null ? 0 : (x as number)));
  while (a.length < 6) a.push(0);
  const r = Number(fn.syscall(nr, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!));
  return check(r, name, target);
}

/** Marks every fd from `first` up close-on-exec. */
export function closeRangeCloexec(first: number): void {
  const CLOSE_RANGE_CLOEXEC = 4;
  syscall("close_range", SYS.close_range, `fd ${first}`, first, 0xffffffff, CLOSE_RANGE_CLOEXEC);
}

/** waitpid(pid, WNOHANG): returns the wait status, or null while pid runs. */
export function waitpidNoHang(pid: number): number | null {
  const status = new Int32Array(new ArrayBuffer(4));
  const WNOHANG = 1;
  const WALL = 0x40000000;
  const r = fn.waitpid(pid, ptr(status), WNOHANG | WALL);
  if (r < 0) throw new SyscallError("waitpid", errno(), String(pid));
  return r === 0 ? null : status[0]!;
}

/** Blocking waitpid(pid); returns the wait status. */
export function waitpid(pid: number): number {
  const status = new Int32Array(new ArrayBuffer(4));
  const WALL = 0x40000000;
  for (;;) {
    const r = fn.waitpid(pid, ptr(status), WALL);
    if (r >= 0) return status[0]!;
    const e = errno();
    if (e !== constants.errno.EINTR) throw new SyscallError("waitpid", e, String(pid));
  }
}

/** The exit code a shell would report for a wait status: the code, or 128+signal. */
export function exitCodeOf(status: number): number {
  const sig = status & 0x7f;
  if (sig === 0) return (status >> 8) & 0xff;
  return 128 + sig;
}

export { ptr };

/** f_flags of statfs(2): the ST_* mount flags of the mount that holds path. */
export function statfsFlags(path: string): number {
  const buf = new BigUint64Array(new ArrayBuffer(120));
  check(fn.statfs(ptr(cstr(path)), ptr(buf)), "statfs", path);
  return Number(buf[10]!);
}

export const AT_RECURSIVE = 0x8000;
export const AT_SYMLINK_NOFOLLOW = 0x100;

/** mount_setattr(2) on path, with MOUNT_ATTR_* bits to set and clear. */
export function mountSetattr(path: string, flags: number, set: number, clear: number, propagation = 0, usernsFd = 0): void {
  const attr = new BigUint64Array(new ArrayBuffer(32));
  attr[0] = BigInt(set);
  attr[1] = BigInt(clear);
  attr[2] = BigInt(propagation);
  attr[3] = BigInt(usernsFd);
  const p = cstr(path);
  syscall("mount_setattr", SYS.mount_setattr, path, AT_FDCWD, ptr(p), flags, ptr(attr), 32);
}

export function socket(domain: number, type: number, protocol = 0): number {
  return check(fn.socket(domain, type, protocol), "socket");
}

/** Connects fd to the unix socket at path. */
export function connectUnix(fd: number, path: string): void {
  const name = Buffer.from(path);
  if (name.length >= 108) throw new SyscallError("connect", constants.errno.ENAMETOOLONG, path);
  const addr = new Uint8Array(new ArrayBuffer(110));
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(name, 2);
  for (;;) {
    if (fn.connect(fd, ptr(addr), 2 + name.length + 1) >= 0) return;
    const e = errno();
    if (e !== constants.errno.EINTR) throw new SyscallError("connect", e, path);
  }
}
