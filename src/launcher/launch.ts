// The launcher's side of starting a container, from a validated config to an
// init stage that waits just before execve ("created"). ns run and ns create
// share it; each step is a method, and launch() reads them in order.
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { cgroupFor, defaultDeviceRules, type Cgroup } from "../cgroups/index.ts";
import type { Spec } from "../config/schema.ts";
import { UserError } from "../errors.ts";
import { chown, close, errnoName, errnoText, exitCodeOf, mkfifo, pollIn, SyscallError, SOCK_CLOEXEC, SOCK_STREAM, AF_UNIX, socketpair, tryKill, waitpid } from "../ffi/libc.ts";
import { heldSignals, spawnChild } from "../ffi/trampoline.ts";
import { runHooks } from "../hooks.ts";
import type { InitConfig } from "../init/config.ts";
import { buildInitConfig } from "./initconfig.ts";
import { log, mark } from "../log.ts";
import { CLONE_NEWNET, CLONE_NEWUSER, getNamespaceFlags, hasNamespace, type NamespaceEntry } from "../namespaces.ts";
import type { NetworkPlan } from "../network/options.ts";
import { readProcessState, readStartTime } from "../proc.ts";
import type { ContainerRecord, StateStore } from "../state/store.ts";
import { ociState } from "../state/oci.ts";
import { SyncPipe } from "../sync.ts";
import { openCgroupJoin } from "./cgroupjoin.ts";
import { createCommand, timeOffsets } from "./command.ts";
import { teardown, writePidFile } from "./teardown.ts";
import { openSealedExecutable } from "./exe.ts";
import { checkRootMapped, hostIdOf, writeIdMaps } from "./idmap.ts";
import { closeJoined, openJoinedNamespaces, type JoinedNamespace } from "./join.ts";

export interface LaunchOptions {
  id: string;
  /** Absolute bundle directory. */
  bundle: string;
  spec: Spec;
  store: StateStore;
  /** "run" starts the process at once; "create" leaves it waiting on the exec fifo. */
  mode: "run" | "create";
  /** Set a parent-death signal: the container dies with a foreground launcher. */
  foreground: boolean;
  pidFile?: string | undefined;
  preserveFds: number;
  noPivot: boolean;
  networkOptions: readonly string[];
  debug: boolean;
  /** Run on a read-only view of the host's root (the zero-config mode). */
  hostRoot?: boolean | undefined;
  /** Skip the cgroup (the zero-config mode, which sets no limits; its pid namespace ends every process with the command). */
  noCgroup?: boolean | undefined;
  /** Receives the pty master when process.terminal is set. */
  onConsole?: ((master: number) => void) | undefined;
}

const SIGKILL = 9;

export class ContainerLaunch {
  readonly spec: Spec;
  readonly stateDir: string;
  cgroup: Cgroup | undefined;
  network: unknown;
  pid = 0;
  startTime = "";
  sync: SyncPipe | undefined;
  private joined: JoinedNamespace[] = [];
  private exeFd = -1;
  private execFifo: string | undefined;
  private flags: number;
  private namespaces: NamespaceEntry[];
  private networkPlan: NetworkPlan | undefined;

  constructor(readonly opts: LaunchOptions) {
    this.spec = opts.spec;
    this.stateDir = opts.store.claim(opts.id);
    this.namespaces = [...(this.spec.linux?.namespaces ?? [])];
    this.flags = getNamespaceFlags(this.namespaces);
  }

  /** Runs every step up to "created"; on failure, removes all it made and rethrows. */
  launch(): void {
    try {
      this.checkConfig();
      this.createCgroup();
      this.prepareExecutable();
      this.spawnInit();
      this.writeIdMaps();
      this.release();
      this.applyResources();
      this.setOomScoreAdj();
      this.setupNetwork();
      this.sendConfig();
      this.waitCreated();
      this.recordState();
      if (this.opts.mode === "create") this.sync!.send({ type: "detach" });
    } catch (e) {
      // A write to the sync pipe fails when the init stage has died: say why it died.
      if (e instanceof SyscallError && (e.code === "EPIPE" || e.code === "ECONNRESET") && this.pid > 0) {
        try {
          this.failFromChild(undefined, "init");
        } catch (why) {
          this.destroy();
          throw why;
        }
      }
      this.destroy();
      throw e;
    }
  }

  private get hasMountNamespace(): boolean {
    return hasNamespace(this.namespaces, "mount");
  }

  private get rootfs(): string {
    if (this.opts.hostRoot) return `${this.stateDir}/rootfs`;
    const path = this.spec.root?.path ?? "rootfs";
    return path.startsWith("/") ? path : `${this.opts.bundle}/${path}`;
  }

  private checkConfig(): void {
    const linux = this.spec.linux;
    if (this.flags & CLONE_NEWUSER) {
      checkRootMapped(linux?.uidMappings ?? [], "linux.uidMappings");
      checkRootMapped(linux?.gidMappings ?? [], "linux.gidMappings");
    }
    if (!this.opts.hostRoot && this.hasMountNamespace && resolve(this.rootfs) === "/") {
      throw new UserError('root.path: the host\'s "/" cannot be a container\'s rootfs (run "ns run -- CMD" for a read-only view of the host)');
    }
    this.planNetwork();
    this.joined = openJoinedNamespaces(this.namespaces);
    if (this.opts.hostRoot) mkdirSync(this.rootfs, { mode: 0o700 });
    mark("config");
  }

  private createCgroup(): void {
    if (this.opts.noCgroup) return;
    this.cgroup = cgroupFor({ id: this.opts.id, cgroupsPath: this.spec.linux?.cgroupsPath });
    // Noted first, so that a launcher killed during create() leaves no
    // directory that delete does not know of. The bundle and the time let
    // `ns state` describe a creation that died.
    this.opts.store.noteProgress(this.opts.id, { bundle: this.opts.bundle, created: new Date().toISOString(), cgroupPending: this.cgroup.paths });
    this.cgroup.create();
    this.opts.store.noteProgress(this.opts.id, { cgroupPaths: this.cgroup.paths, cgroupOwnedTop: this.cgroup.ownedTop });
    mark("cgroup");
  }

  /**
   * Sets linux.resources while the init stage starts up: until it has the
   * config message it runs no container code and makes no device node, so
   * the limits are in place before anything they govern happens.
   */
  private applyResources(): void {
    if (!this.cgroup) return;
    // As in runc, every container starts from "deny all" plus the devices
    // the spec says it always has; the config's rules come in between.
    const { pids: _pids, ...resources } = this.spec.linux?.resources ?? {};
    const devices = [{ allow: false, access: "rwm" }, ...(resources.devices ?? []), ...defaultDeviceRules];
    this.cgroup.apply({ ...resources, devices } as typeof resources);
    mark("resources");
  }

  /**
   * pids.max takes effect once the init stage is done: the init stage is a
   * Bun process of several threads, and every thread counts against the
   * limit, so a limit of a few tasks would stop it starting. runc likewise
   * sets the limits just before its init executes the container process.
   */
  private applyPidsLimit(): void {
    const pids = this.spec.linux?.resources?.pids;
    if (this.cgroup && pids) this.cgroup.update({ pids });
  }

  private prepareExecutable(): void {
    this.exeFd = openSealedExecutable();
    if (this.opts.mode === "create") {
      this.execFifo = `${this.stateDir}/exec.fifo`;
      mkfifo(this.execFifo, 0o600);
      // The init stage opens it for writing as the container's root, which a user namespace maps to another host uid.
      if (this.flags & CLONE_NEWUSER) {
        chown(this.execFifo, hostIdOf(this.spec.linux?.uidMappings, 0), hostIdOf(this.spec.linux?.gidMappings, 0));
      }
    }
    mark("executable");
  }

  /**
   * Clones the init stage. It waits for one byte on the sync pipe before it
   * executes ns-init, so that the id maps and cgroups are in place first.
   */
  private spawnInit(): void {
    const [parentEnd, childEnd] = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
    this.sync = new SyncPipe(parentEnd);
    const cgroupJoin = openCgroupJoin(this.cgroup);
    try {
      const first = spawnChild(
        createCommand({
          flags: this.flags,
          syncFd: childEnd,
          exeFd: this.exeFd,
          preserveFds: this.opts.preserveFds,
          parentDeathSignal: this.opts.foreground ? SIGKILL : 0,
          joinFds: this.joined.map((j) => j.fd),
          timeNamespace: this.namespaces.some((n) => n.type === "time" && !n.path),
          timeOffsets: timeOffsets(this.spec),
          cgroupJoin,
          parentSyncFd: parentEnd,
        }),
      );
      if (this.joined.length > 0) {
        // The intermediate child joins the namespaces, then reports the real child.
        this.pid = first;
        this.sync.sendGo();
        const got = this.sync.receive();
        if (got?.message.type !== "pid") {
          this.failFromChild(got?.message, "setns");
        }
        waitpid(first);
        this.pid = (got!.message as { pid: number }).pid;
      } else {
        this.pid = first;
      }
    } finally {
      close(childEnd);
      cgroupJoin.close();
      closeJoined(this.joined);
      close(this.exeFd);
      this.exeFd = -1;
    }
    this.startTime = readStartTime(this.pid) ?? "";
    mark("spawn");
  }

  private writeIdMaps(): void {
    if (!(this.flags & CLONE_NEWUSER)) return;
    writeIdMaps(this.pid, this.spec.linux?.uidMappings ?? [], this.spec.linux?.gidMappings ?? []);
    mark("idmap");
  }

  private setOomScoreAdj(): void {
    const adj = this.spec.process?.oomScoreAdj;
    if (adj === undefined) return;
    try {
      writeFileSync(`/proc/${this.pid}/oom_score_adj`, String(adj));
    } catch (e) {
      throw new UserError(`process.oomScoreAdj: write /proc/${this.pid}/oom_score_adj: ${(e as { code?: string }).code ?? e}`);
    }
  }

  /**
   * Reads the network options. A new network namespace always gets at least
   * its loopback up; `netns:PATH` turns into a namespace to join.
   */
  private planNetwork(): void {
    const annotations = this.spec.annotations;
    const asked =
      this.opts.networkOptions.length > 0 || annotations?.["dev.ns.network"] !== undefined || this.spec.linux?.netDevices !== undefined;
    if (!asked && !(this.flags & CLONE_NEWNET)) return;
    if (!asked) {
      // A new namespace with only its loopback: the network module loads
      // later, in setupNetwork, while the init stage starts up.
      this.networkPlan = { loopback: true, veths: [], netDevices: [] };
      return;
    }
    // Loaded only for containers with a network of their own, to keep other starts short.
    const network = require("../network/index.ts") as typeof import("../network/index.ts");
    this.networkPlan = network.parseNetworkOptions(
      [...this.opts.networkOptions],
      annotations,
      this.spec.linux?.netDevices as never,
      this.namespaces,
    );
    const path = network.networkNamespacePath(this.networkPlan);
    if (path !== undefined) {
      this.namespaces = [...this.namespaces.filter((n) => n.type !== "network"), { type: "network", path }];
      this.flags = getNamespaceFlags(this.namespaces);
    }
  }

  /** Builds the host side of the network and moves interfaces into the container's namespace. */
  private setupNetwork(): void {
    if (!this.networkPlan) return;
    const network = require("../network/index.ts") as typeof import("../network/index.ts");
    this.network = network.setupHostSide(this.networkPlan, this.pid);
    this.opts.store.noteProgress(this.opts.id, { network: this.network });
    mark("network");
  }

  /**
   * Sends the go-ahead byte: the child joins its cgroups and executes the
   * init stage. The steps up to its "config" message (the host side of the
   * network, the seccomp filter) overlap the init stage's start-up, because
   * it runs no container code and touches nothing until the config arrives.
   */
  private release(): void {
    this.sync!.sendGo();
  }

  private sendConfig(): void {
    this.sync!.send({ type: "config", config: this.initConfig() as unknown as Record<string, unknown> });
  }

  private initConfig(): InitConfig {
    return buildInitConfig({
      spec: this.spec,
      opts: this.opts,
      rootfs: this.rootfs,
      namespaces: this.namespaces,
      flags: this.flags,
      cgroupPath: this.cgroup?.path,
      network: this.network,
      execFifo: this.execFifo,
      hookState: this.hookState("created"),
    });
  }

  hookState(status: string): Record<string, unknown> {
    return ociState({
      id: this.opts.id,
      pid: this.pid,
      bundle: this.opts.bundle,
      annotations: this.spec.annotations,
      status,
    });
  }

  /** Serves the init stage's requests until it reports "created". */
  private waitCreated(): void {
    for (;;) {
      this.waitReadable();
      this.checkInterrupted();
      const got = this.sync!.receive();
      if (got === null) this.failFromChild(undefined, "init");
      const message = got!.message;
      switch (message.type) {
        case "log":
          this.relayLog(message);
          break;
        case "hooks":
          runHooks("prestart", this.spec.hooks?.prestart, this.hookState("created"));
          runHooks("createRuntime", this.spec.hooks?.createRuntime, this.hookState("creating"));
          this.sync!.send({ type: "hooksDone" });
          break;
        case "console":
          if (got!.fd === undefined) throw new Error("init stage sent no pty master");
          if (this.opts.onConsole) this.opts.onConsole(got!.fd);
          else close(got!.fd);
          break;
        case "created":
          this.applyPidsLimit();
          mark("created");
          return;
        default:
          this.failFromChild(message, "init");
      }
    }
  }

  private relayLog(message: Extract<import("../sync.ts").Message, { type: "log" }>): void {
    const { type: _type, level, message: text, ...fields } = message;
    log(level, text, fields);
  }

  /** Turns the init stage's error message (or its silent death) into a UserError. */
  failFromChild(message: unknown, fallbackStep: string): never {
    const m = message as { type?: string; step?: string; message?: string; errno?: number; exitCode?: number } | undefined;
    if (m?.type === "error") {
      // The C trampoline reports a step and an errno, without a message.
      const errno = m.errno ?? 0;
      const program = m.step === "execve" ? ` "${this.spec.process?.args?.[0] ?? ""}"` : "";
      const text = m.message ?? `${m.step}${program}: ${errnoName(errno)} (${errnoText(errno)})`;
      const code = m.exitCode ?? (m.step === "execve" ? (errno === 2 ? 127 : 126) : 1);
      throw new UserError(text, code);
    }
    // No message: the child died before it could say why.
    let status = "";
    let oomKilled = false;
    if (this.pid > 0) {
      tryKill(this.pid, SIGKILL);
      try {
        status = ` (exit code ${exitCodeOf(waitpid(this.pid))})`;
      } catch {
        // Already reaped.
      }
      this.pid = 0;
      try {
        oomKilled = (this.cgroup?.oomKillCount() ?? 0) > 0;
      } catch {
        // No memory controller to ask.
      }
    }
    if (oomKilled) {
      throw new UserError(
        "linux.resources.memory.limit: the kernel OOM-killed the init stage in the container's cgroup before the container process started; raise the limit",
      );
    }
    throw new UserError(`${fallbackStep}: the container's init stage exited without a report${status}`);
  }

  private recordState(): void {
    const record: ContainerRecord = {
      ociVersion: this.spec.ociVersion,
      id: this.opts.id,
      pid: this.pid,
      startTime: this.startTime,
      bundle: this.opts.bundle,
      rootfs: this.rootfs,
      created: new Date().toISOString(),
      annotations: this.spec.annotations,
      cgroupPaths: this.cgroup?.paths,
      cgroupPath: this.cgroup?.path,
      cgroupOwnedTop: this.cgroup?.ownedTop,
      network: this.network,
      config: this.spec as unknown as Record<string, unknown>,
      started: false,
      foreground: this.opts.foreground,
    };
    this.opts.store.write(record);
    if (this.opts.pidFile) writePidFile(this.opts.pidFile, this.pid);
    mark("state");
  }

  /**
   * Releases the init stage (run mode) and waits until it has executed the
   * container process: EOF on the sync pipe means execve closed it.
   */
  start(): void {
    this.sync!.send({ type: "start" });
    for (;;) {
      this.waitReadable();
      const got = this.sync!.receive();
      // EOF: the container's process has executed, and a signal held until
      // now goes to it instead of stopping the start-up.
      if (got === null) break;
      this.checkInterrupted();
      if (got.message.type !== "log") this.failFromChild(got.message, "start");
      this.relayLog(got.message);
    }
    this.sync!.close();
    this.sync = undefined;
    const record = this.opts.store.read(this.opts.id);
    record.started = true;
    this.opts.store.write(record);
    mark("started");
  }

  /**
   * Waits for the init stage's next message or its execve. If its main
   * thread dies first (a seccomp filter that kills execve does that), the
   * other threads of the Bun process would keep it, and the sync pipe, alive
   * for ever: a zombie thread-group leader is the sign. A process that
   * executed and then exited between the two checks is a zombie too, but its
   * execve has closed the sync pipe, so the pipe is read once more.
   */
  private waitReadable(): void {
    while (!pollIn(this.sync!.fd, 100)) {
      this.checkInterrupted();
      if (readProcessState(this.pid) !== "Z" || pollIn(this.sync!.fd, 0)) continue;
      tryKill(this.pid, SIGKILL);
      throw new UserError("the container's process died before it started: its init stage was killed at execve (does linux.seccomp kill execve?)");
    }
  }

  /**
   * A foreground launcher holds the signals it gets until the container's
   * process runs (see superviseForeground). A signal that would end the
   * launcher (SIGHUP, SIGINT, SIGQUIT, SIGTERM) stops the start-up instead:
   * the caller wants it to end, and nothing of the container runs yet.
   */
  private checkInterrupted(): void {
    if (!this.opts.foreground) return;
    const held = heldSignals();
    for (const sig of [1, 2, 3, 15]) {
      if (held & (1n << BigInt(sig - 1))) {
        throw new UserError(`start-up interrupted by signal ${sig}; the container was removed`, 128 + sig);
      }
    }
  }

  /** Kills what is left and removes the cgroup, network and state directory. */
  destroy(): void {
    const spawned = this.pid > 0;
    if (spawned) {
      tryKill(this.pid, SIGKILL);
      try {
        waitpid(this.pid);
      } catch {
        // Reaped elsewhere.
      }
    }
    if (this.sync) {
      try {
        this.sync.close();
      } catch {
        // Already closed.
      }
      this.sync = undefined;
    }
    if (this.exeFd >= 0) close(this.exeFd);
    closeJoined(this.joined);
    teardown(this.opts.store, this.opts.id, this.cgroup, this.network);
    // In runtime-spec, a create that fails (a failing hook, for one) goes on
    // with delete, and delete runs the poststop hooks. runc does the same.
    if (spawned) runHooks("poststop", this.spec.hooks?.poststop, this.hookState("stopped"));
  }
}
