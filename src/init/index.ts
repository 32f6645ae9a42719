// The init stage: runs inside the container's new namespaces (the launcher
// has written the id maps and joined the cgroups before it started), sets up
// the container's world, waits for start, and becomes the container process.
// Its stdio belongs to the container, so everything it has to say goes to the
// launcher over the sync pipe.
import { existsSync, writeFileSync } from "node:fs";
import {
  chdir,
  chroot,
  close,
  closeRangeCloexec,
  dup3,
  errnoName,
  errnoText,
  fchown,
  open,
  openat,
  O_CLOEXEC,
  O_DIRECTORY,
  O_PATH,
  O_WRONLY,
  setCloexec,
  setdomainname,
  sethostname,
  unshare,
  writeAll,
} from "../ffi/libc.ts";
import { getRlimit } from "../ffi/rlimit.ts";
import { ExecError, execProcess, loadTrampoline, tryRlimits } from "../ffi/trampoline.ts";
import { runHooks } from "../hooks.ts";
import { describeError, UserError } from "../errors.ts";
import { CLONE_NEWCGROUP, CLONE_NEWIPC } from "../namespaces.ts";
import { mountAll, prepareRoot, type RootfsContext } from "../mounts/rootfs.ts";
import { enterRootfs, maskPaths, moveIntoRootfs, readonlyPaths, remountRootReadonly, setRootPropagation } from "../mounts/pivot.ts";
import { ensureFile } from "../mounts/paths.ts";
import { AT_RECURSIVE, mount, mountSetattr } from "../ffi/libc.ts";
import { MOUNT_ATTR_NODEV, MOUNT_ATTR_RDONLY, MS_BIND, MS_REC } from "../mounts/options.ts";
import { openPty, setWindowSize } from "../console/pty.ts";
import { SyncPipe } from "../sync.ts";
import type { InitConfig } from "./config.ts";
import { buildExecSpec, lookPath } from "./finalize.ts";
import { writeStderr } from "../output.ts";

let currentStep = "config";
/** The exec fifo, open for writing from ns start until execve closes it; -1 before. */
let startFd = -1;
/** `ns create` has recorded the container and returned. */
let detached = false;
const started = performance.now();

/** Runs the init stage; never returns. */
export async function init(): Promise<never> {
  const fdText = process.env._NS_SYNC_FD;
  if (!fdText) {
    writeStderr("ns init: _NS_SYNC_FD is not set; the init stage is started by ns run or ns create\n");
    process.exit(2);
  }
  const sync = new SyncPipe(Number(fdText));
  let config: InitConfig | undefined;
  try {
    config = sync.expect("config").config as unknown as InitConfig;
    await runInit(sync, config);
  } catch (err) {
    const errno = (err as { errno?: number }).errno;
    let exitCode = (err as { exitCode?: number }).exitCode;
    // As in a shell: 127 for a program that is not there, 126 for one that cannot run.
    if (err instanceof ExecError && err.step === "execve") exitCode = errno === 2 ? 127 : 126;
    let message = describeError(err);
    if (err instanceof ExecError && err.step === "setrlimit") message = `process.rlimits: ${message}`;
    try {
      sync.send({ type: "error", step: currentStep, message, ...(errno === undefined ? {} : { errno: Math.abs(errno) }), ...(exitCode === undefined ? {} : { exitCode }) });
    } catch {
      // After `ns create` returned, nobody listens: the container's stderr is
      // the place left. Before that, the launcher died and the caller has
      // heard of it already.
      if (detached) writeStderr(`ns: ${message}\n`);
    }
    // ns start reads the exec fifo until it closes: text there is why the process did not start.
    if (startFd >= 0) {
      try {
        writeAll(startFd, Buffer.from(message));
      } catch {
        // ns start is gone.
      }
    }
    process.exit(exitCode ?? 1);
  }
  throw new Error("unreachable: the init stage ends in execve or exit");
}

function step(name: string, sync: SyncPipe, debug: boolean): void {
  currentStep = name;
  if (debug) sendLog(sync, "debug", `init step ${name}`, { step: name, ms: +(performance.now() - started).toFixed(3) });
}

/**
 * Sends a log line to the launcher. After `ns create` has returned nobody
 * reads the sync pipe any more, and a lost log line must not stop the
 * container.
 */
function sendLog(sync: SyncPipe, level: "debug" | "info" | "warn", message: string, fields: Record<string, unknown> = {}): void {
  try {
    sync.send({ type: "log", level, message, ...fields } as never);
  } catch {
    // The launcher is gone.
  }
}

async function runInit(sync: SyncPipe, config: InitConfig): Promise<never> {
  const debug = config.debug;
  // Nothing Bun opened may reach the container. The sync fd and the exec fifo
  // are close-on-exec as well, so execve closes the launcher's view of us.
  closeRangeCloexec(3 + config.preserveFds);
  // Bun marks the fds it inherits from 4 up close-on-exec when it starts
  // (Bun 1.4.4): the preserved ones must survive execve.
  for (let fd = 3; fd < 3 + config.preserveFds; fd++) setCloexec(fd, false);
  loadTrampoline();

  step("cgroupns", sync, debug);
  // Unshared only now that the launcher placed us in the container's cgroup,
  // so that it becomes the root of the namespace.
  if (config.newCgroupNamespace) unshare(CLONE_NEWCGROUP);
  if (config.unshareIpc) unshare(CLONE_NEWIPC);

  step("network", sync, debug);
  if (config.network) {
    const { setupContainerSide } = await import("../network/index.ts");
    setupContainerSide(config.network as never);
  }

  // The fifo lives in the host's state directory, out of reach after pivot_root.
  const fifo = config.execFifo ? open(config.execFifo, O_PATH | O_CLOEXEC) : -1;
  // The fifo is reopened through /proc/self/fd, which a chroot without a
  // mount namespace leaves behind, so a handle on that directory is kept
  // until then.
  const procFds = fifo >= 0 ? open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;

  if (config.mountNamespace) {
    setupMounts(sync, config);
  } else {
    // Without a mount namespace every mount would change the host's, so
    // nothing is mounted, and chroot confines the process to the rootfs, as
    // runc does.
    runRuntimeHooks(sync, config);
    if (!config.hostRoot) {
      chroot(config.rootfs);
      chdir("/");
    }
  }
  if (config.terminal) {
    step("console", sync, debug);
    setupConsole(sync, config);
  }

  step("hostname", sync, debug);
  if (config.hostname !== undefined) sethostname(config.hostname);
  if (config.domainname !== undefined) setdomainname(config.domainname);

  step("sysctl", sync, debug);
  for (const [key, value] of Object.entries(config.sysctl)) {
    const path = `/proc/sys/${key.replace(/\./g, "/")}`;
    try {
      writeFileSync(path, value);
    } catch (e) {
      throw new Error(`linux.sysctl["${key}"]: write ${path}: ${describeError(e)}`, { cause: e });
    }
  }

  if (config.mountNamespace) {
    step("paths", sync, debug);
    readonlyPaths(config.readonlyPaths);
    maskPaths(config.maskedPaths, config.mountLabel);
  }

  step("lookup", sync, debug);
  const spec = buildExecSpec(config, (message) => sendLog(sync, "info", message));
  spec.file = lookPath(config.process.args[0]!, spec.env);
  spec.reportFd = sync.fd;

  step("rlimits", sync, debug);
  checkRlimits(config, spec.rlimits ?? []);

  step("created", sync, debug);
  sync.send({ type: "created" });

  step("start", sync, debug);
  if (fifo >= 0) {
    // EOF instead of "detach": ns create died before it recorded the
    // container, and nothing would ever start or delete it.
    if (sync.receive()?.message.type !== "detach") process.exit(1);
    detached = true;
    waitForStart(procFds, fifo);
  } else {
    sync.expect("start");
  }

  step("startContainer hooks", sync, debug);
  runHooks("startContainer", config.startContainerHooks, config.hookState);

  step("execve", sync, debug);
  execProcess(spec);
}

/**
 * Fails the creation on a limit that the kernel would reject at execve, such
 * as a hard limit above the caller's without CAP_SYS_RESOURCE. The runtime
 * spec requires create to fail when the environment cannot be set up.
 */
function checkRlimits(config: InitConfig, triples: readonly (readonly [number, bigint, bigint])[]): void {
  // Lowering a limit, or raising a soft one up to the hard one, always
  // succeeds: only a raise of a hard limit needs the trial.
  if (!triples.some(([resource, soft, hard]) => soft > hard || hard > getRlimit(resource).hard)) return;
  const failed = tryRlimits(triples);
  if (!failed) return;
  const rlimit = config.process.rlimits?.[failed.index];
  const values = rlimit ? ` (${rlimit.type}, soft ${rlimit.soft}, hard ${rlimit.hard})` : "";
  throw new UserError(`process.rlimits[${failed.index}]${values}: setrlimit: ${errnoName(failed.errno)} (${errnoText(failed.errno)})`);
}

/** Mounts, hooks before pivot_root, pivot_root, and the rootfs flags after it. */
function setupMounts(sync: SyncPipe, config: InitConfig): void {
  const debug = config.debug;
  step("mounts", sync, debug);
  const ctx: RootfsContext = {
    rootfs: config.rootfs,
    bundle: config.bundle,
    mounts: config.mounts,
    devices: config.devices,
    userNamespace: config.userNamespace,
    cgroupNamespace: config.newCgroupNamespace,
    cgroupPath: config.cgroupPath,
    rootfsPropagation: config.rootfsPropagation,
    // The host view is read-only and the caller's cwd exists in it already.
    cwd: config.hostRoot ? undefined : config.process.cwd,
  };
  prepareRoot(ctx);
  if (config.hostRoot) bindHostRoot(config.rootfs);
  mountAll(ctx);

  runRuntimeHooks(sync, config);

  step("pivot_root", sync, debug);
  if (config.noPivot) moveIntoRootfs(config.rootfs);
  else enterRootfs(config.rootfs);

  step("rootfs", sync, debug);
  if (config.readonlyRoot) remountRootReadonly();
  setRootPropagation(config.rootfsPropagation);
}

/**
 * Runs the hooks due before pivot_root. The launcher runs the prestart and
 * createRuntime hooks, in the runtime's namespaces. The createContainer hooks
 * run here, in the container's namespaces.
 */
function runRuntimeHooks(sync: SyncPipe, config: InitConfig): void {
  if (config.runtimeHooks) {
    step("hooks", sync, config.debug);
    sync.send({ type: "hooks" });
    sync.expect("hooksDone");
  }
  step("createContainer hooks", sync, config.debug);
  runHooks("createContainer", config.createContainerHooks, config.hookState);
}

/**
 * Binds the host's whole mount tree, read-only, as the rootfs of the
 * zero-config mode. /proc, /dev and /tmp are then mounted afresh over it.
 */
function bindHostRoot(rootfs: string): void {
  mount("/", rootfs, "bind", MS_BIND | MS_REC);
  // nodev as well: a device node anywhere in the host's tree stays closed.
  mountSetattr(rootfs, AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV, 0);
}

/**
 * `ns start` opens the fifo for reading; until then the open for writing
 * blocks. The fifo is reached through /proc/self/fd because its path is on
 * the host, outside the container's root.
 */
function waitForStart(procFds: number, fifo: number): void {
  const fd = openat(procFds, String(fifo), O_WRONLY | O_CLOEXEC);
  writeAll(fd, Buffer.from("0"));
  close(fifo);
  // A directory fd left open would let process.cwd "/proc/self/fd/N" lead out of the root.
  close(procFds);
  // Kept open close-on-exec: execve closes it, which is how ns start learns that the process runs.
  startFd = fd;
}

/**
 * Allocates the container's pty in its devpts, binds it on /dev/console and
 * makes it stdio. The peer goes to the process's user so that a non-root
 * process can use its own terminal; its group stays the one devpts gave it
 * (the gid= mount option, tty by convention).
 */
function setupConsole(sync: SyncPipe, config: InitConfig): void {
  const pty = openPty("/dev/ptmx");
  const size = config.process.consoleSize;
  if (size) setWindowSize(pty.master, size.height, size.width);
  fchown(pty.peer, config.process.user.uid, -1);
  if (existsSync("/dev")) {
    ensureFile("/dev/console");
    mount(pty.path, "/dev/console", "bind", MS_BIND);
  }
  sync.send({ type: "console" }, pty.master);
  close(pty.master);
  for (const target of [0, 1, 2]) dup3(pty.peer, target, 0);
  close(pty.peer);
}

