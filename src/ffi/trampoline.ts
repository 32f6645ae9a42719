// Loads the C trampoline (ffi/trampoline.c) that build.ts compiles and embeds,
// and lays out the structs it reads. Field offsets mirror the C structs: every
// field is 64 bits wide.
import { dlopen, FFIType, ptr, type Pointer } from "bun:ffi";
import libPath from "../../build/libns.so" with { type: "file" };
import { cstr, errnoName, errnoText, SyscallError } from "./libc.ts";

const { i32, i64_fast, ptr: P, u64, void: V } = FFIType;

let loaded: ReturnType<typeof open> | undefined;

function open() {
  return dlopen(libPath, {
    ns_spawn: { args: [P], returns: i64_fast },
    ns_exec: { args: [P], returns: i32 },
    ns_watch: { args: [i32, i32], returns: i32 },
    ns_forward_signals: { args: [i32, u64], returns: i32 },
    ns_forward_target: { args: [i32], returns: V },
    ns_forward_held: { args: [], returns: u64 },
    ns_try_rlimits: { args: [P, i64_fast, P], returns: i64_fast },
  }).symbols;
}

function lib() {
  loaded ??= open();
  return loaded;
}

/**
 * Loads the trampoline now. Bun extracts the embedded library to a file in
 * the host's temporary directory, which the init stage can no longer reach
 * after pivot_root.
 */
export function loadTrampoline(): void {
  lib();
}

/** The step of ns_exec or ns_spawn that failed, as the C side numbers them. */
export const EXEC_STEPS = [
  "none", "setrlimit", "capbset_drop", "keepcaps", "setgroups",
  "setresgid", "setresuid", "chdir", "getcwd", "capset", "ambient",
  "no_new_privs", "seccomp", "pdeathsig", "execve", "setns", "clone",
  "sync", "fds", "timens_offsets", "setsid", "umask", "cgroup",
] as const;

/** Keeps C strings and arrays alive while C holds pointers to them. */
class Arena {
  readonly kept: (NodeJS.TypedArray | DataView)[] = [];

  keep<T extends NodeJS.TypedArray | DataView>(v: T): T {
    this.kept.push(v);
    return v;
  }

  str(s: string): number {
    return ptr(this.keep(cstr(s))) as unknown as number;
  }

  /** A NULL-terminated char* array. */
  strv(list: readonly string[]): number {
    const arr = this.keep(new BigUint64Array(new ArrayBuffer(8 * (list.length + 1))));
    list.forEach((s, i) => {
      arr[i] = BigInt(this.str(s));
    });
    return ptr(arr) as unknown as number;
  }
}

/** A fixed-layout C struct of 64-bit fields. */
class Struct {
  readonly view: BigInt64Array;
  constructor(fields: number) {
    this.view = new BigInt64Array(new ArrayBuffer(8 * fields));
  }
  set(index: number, value: number | bigint): void {
    this.view[index] = BigInt.asIntN(64, BigInt(value));
  }
  get(index: number): bigint {
    return this.view[index]!;
  }
  get pointer(): Pointer {
    return ptr(this.view);
  }
}

/** What the container process becomes at execve (struct ns_exec). */
export interface ExecSpec {
  /** The user to switch to; undefined keeps the current ids. */
  user?: { uid: number; gid: number; additionalGids: readonly number[]; setgroups: boolean };
  /** Capability bit masks; undefined leaves capabilities as they are. */
  capabilities?: {
    last: number;
    bounding: bigint;
    effective: bigint;
    permitted: bigint;
    inheritable: bigint;
    ambient: bigint;
  };
  noNewPrivileges?: boolean;
  umask?: number;
  parentDeathSignal?: number;
  /** [resource number, soft, hard] */
  rlimits?: readonly [number, bigint, bigint][];
  cwd?: string;
  /** A path, or a name looked up in the PATH of env. */
  file: string;
  args: readonly string[];
  env: readonly string[];
  /** A struct sock_fprog, already laid out, with its filter kept alive by the caller. */
  seccomp?: { prog: NodeJS.TypedArray | DataView; flags: number };
  /** Start a new session with fd 0 as the controlling terminal. */
  setsid?: boolean;
  /** The sync fd, where ns_exec reports an execve failure once the seccomp filter is in. */
  reportFd?: number;
}

const EXEC_FIELDS = 26;
const X_FAILED_STEP = 23;

function layoutExec(spec: ExecSpec, arena: Arena): Struct {
  const s = new Struct(EXEC_FIELDS);
  const user = spec.user;
  s.set(0, user ? user.uid : -1);
  s.set(1, user ? user.gid : -1);
  s.set(2, user?.setgroups ? 1 : 0);
  const groups = arena.keep(new Uint32Array(new ArrayBuffer(4 * Math.max(1, user?.additionalGids.length ?? 0))));
  user?.additionalGids.forEach((g, i) => (groups[i] = g));
  s.set(3, user?.additionalGids.length ?? 0);
  s.set(4, ptr(groups) as unknown as number);
  const caps = spec.capabilities;
  s.set(5, caps ? 1 : 0);
  s.set(6, caps?.last ?? 0);
  s.set(7, caps?.bounding ?? 0n);
  s.set(8, caps?.effective ?? 0n);
  s.set(9, caps?.permitted ?? 0n);
  s.set(10, caps?.inheritable ?? 0n);
  s.set(11, caps?.ambient ?? 0n);
  s.set(12, spec.noNewPrivileges ? 1 : 0);
  s.set(13, spec.umask ?? -1);
  s.set(14, spec.parentDeathSignal ?? 0);
  const rl = spec.rlimits ?? [];
  const triples = arena.keep(new BigInt64Array(new ArrayBuffer(8 * 3 * Math.max(1, rl.length))));
  rl.forEach(([res, soft, hard], i) => {
    triples[3 * i] = BigInt(res);
    triples[3 * i + 1] = BigInt.asIntN(64, soft);
    triples[3 * i + 2] = BigInt.asIntN(64, hard);
  });
  s.set(15, rl.length);
  s.set(16, ptr(triples) as unknown as number);
  s.set(17, spec.cwd === undefined ? 0 : arena.str(spec.cwd));
  s.set(18, arena.str(spec.file));
  s.set(19, arena.strv(spec.args));
  s.set(20, arena.strv(spec.env));
  s.set(21, spec.seccomp ? (ptr(arena.keep(spec.seccomp.prog)) as unknown as number) : 0);
  s.set(22, spec.seccomp?.flags ?? 0);
  s.set(24, spec.setsid ? 1 : 0);
  s.set(25, spec.reportFd ?? -1);
  arena.keep(s.view);
  return s;
}

/** A failure inside ns_exec or a spawned child: the step and its errno. */
export class ExecError extends SyscallError {
  constructor(
    readonly step: string,
    errno: number,
    target?: string,
  ) {
    super(step, errno, target);
  }
}

/**
 * Switches the calling thread to the container's credentials and executes
 * the program. Returns only on failure, by throwing ExecError.
 */
export function execProcess(spec: ExecSpec): never {
  const arena = new Arena();
  const s = layoutExec(spec, arena);
  const r = lib().ns_exec(s.pointer);
  const step = EXEC_STEPS[Number(s.get(X_FAILED_STEP))] ?? "execve";
  const target = step === "execve" ? spec.file : step === "chdir" || step === "getcwd" ? spec.cwd : undefined;
  void arena;
  throw new ExecError(step, -r, target);
}

/** How ns_spawn starts a child (struct ns_spawn). */
export interface SpawnSpec {
  cloneFlags: number;
  /** The child's end of the sync socket, and the number it gets in the child (-1 keeps it close-on-exec). */
  syncFd: number;
  childSyncFd: number;
  /** Run this executable (an O_PATH fd) with argv and env ... */
  exeFd?: number;
  argv?: readonly string[];
  env?: readonly string[];
  /** ... or become this process directly (ns enter). */
  exec?: ExecSpec;
  becomeRoot?: boolean;
  parentDeathSignal?: number;
  /** fds 3 .. 3+keepFds-1 stay open in the child. */
  keepFds?: number;
  /** Namespace fds to join before cloning, the user namespace first. */
  joinFds?: readonly number[];
  stdio?: [number, number, number];
  /** Unshare a time namespace with these offsets ("monotonic S NS\nboottime S NS"). */
  timeNamespace?: { offsets: string | undefined };
  /** A cgroup2 directory fd to start the child in (CLONE_INTO_CGROUP). */
  cgroupFd?: number;
  /** cgroup v1 "tasks" fds (opened for writing) that the child joins itself; at most 16. */
  tasksFds?: readonly number[];
  /** The launcher's end of the sync socket: the child closes its copy, so that it sees EOF when the launcher dies. */
  parentSyncFd?: number;
  /**
   * A join (with exec) may run in the launcher's memory instead of forked
   * copies. Only where nothing in the joined pid namespace can ptrace.
   */
  shareMemory?: boolean;
}

const SPAWN_FIELDS = 44;

/** Starts a child through the trampoline; returns its pid (the intermediate one when joining namespaces). */
export function spawnChild(spec: SpawnSpec): number {
  const arena = new Arena();
  const s = new Struct(SPAWN_FIELDS);
  s.set(0, spec.cloneFlags);
  s.set(1, spec.syncFd);
  s.set(2, spec.childSyncFd);
  s.set(3, spec.exeFd ?? -1);
  s.set(4, spec.argv ? arena.strv(spec.argv) : 0);
  s.set(5, spec.env ? arena.strv(spec.env) : 0);
  s.set(6, spec.becomeRoot ? 1 : 0);
  s.set(7, spec.parentDeathSignal ?? 0);
  s.set(8, spec.keepFds ?? 0);
  const join = spec.joinFds ?? [];
  if (join.length > 8) throw new Error("at most 8 namespaces can be joined");
  s.set(9, join.length);
  join.forEach((fd, i) => s.set(10 + i, fd));
  s.set(18, spec.exec ? (layoutExec(spec.exec, arena).pointer as unknown as number) : 0);
  const stdio = spec.stdio ?? [-1, -1, -1];
  s.set(19, stdio[0]);
  s.set(20, stdio[1]);
  s.set(21, stdio[2]);
  const offsets = spec.timeNamespace?.offsets;
  s.set(22, offsets === undefined ? 0 : arena.str(offsets));
  s.set(23, spec.timeNamespace ? 1 : 0);
  s.set(24, spec.cgroupFd ?? -1);
  const tasks = spec.tasksFds ?? [];
  if (tasks.length > 16) throw new Error("at most 16 cgroup v1 hierarchies can be joined");
  s.set(25, tasks.length);
  tasks.forEach((fd, i) => s.set(26 + i, fd));
  s.set(42, spec.parentSyncFd ?? -1);
  s.set(43, spec.shareMemory ? 1 : 0);
  const pid = Number(lib().ns_spawn(s.pointer));
  void arena;
  if (pid < 0) throw new SyscallError("clone", -pid);
  return pid;
}

/** Reports the wait status of pid as two int32 {pid, status} on fd, from a helper thread. */
export function watchChild(pid: number, fd: number): void {
  const r = lib().ns_watch(pid, fd);
  if (r < 0) throw new SyscallError("pthread_create", -r, `watch ${pid}`);
}

/**
 * Forwards the signals in mask (bit N-1 for signal N) to pid from a C
 * handler. With pid 0 they are held until setForwardTarget names a process.
 */
export function forwardSignals(pid: number, mask: bigint): void {
  const r = lib().ns_forward_signals(pid, mask);
  if (r < 0) throw new SyscallError("sigaction", -r);
}

/** The signals held so far for the coming target (bit N-1 for signal N). */
export function heldSignals(): bigint {
  return BigInt(lib().ns_forward_held());
}

/** Forwards to pid from now on, sending it the signals held so far; -1 stops forwarding. */
export function setForwardTarget(pid: number): void {
  lib().ns_forward_target(pid);
}

export { errnoName, errnoText };

/**
 * Tries [resource, soft, hard] triples in a short-lived child with this
 * process's credentials, leaving this process's own limits as they are.
 * Returns the index of the first one the kernel rejects, with its errno, or
 * undefined when all were accepted. It also returns undefined when the trial
 * could not run, and then execve reports the failure.
 */
export function tryRlimits(triples: readonly (readonly [number, bigint, bigint])[]): { index: number; errno: number } | undefined {
  if (triples.length === 0) return undefined;
  const flat = new BigInt64Array(new ArrayBuffer(8 * 3 * triples.length));
  triples.forEach(([resource, soft, hard], i) => {
    flat[3 * i] = BigInt(resource);
    flat[3 * i + 1] = BigInt.asIntN(64, soft);
    flat[3 * i + 2] = BigInt.asIntN(64, hard);
  });
  const err = new BigInt64Array(new ArrayBuffer(8));
  const index = Number(lib().ns_try_rlimits(ptr(flat), triples.length, ptr(err)));
  if (index < 0 || index >= triples.length) return undefined;
  return { index, errno: Number(err[0]) };
}
