// A container's cgroup across every hierarchy it lives in: the v1
// hierarchies, the cgroup2 hierarchy, or both in hybrid mode.
import { CgroupError } from "./errors.ts";
import { runSteps, type ApplyStep } from "./controller.ts";
import { createMember } from "./create.ts";
import { killAll, pidsIn, removeMember } from "./destroy.ts";
import { pickDriver, RESOURCE_GROUPS, type DriverTargets } from "./drivers.ts";
import type { CgroupDir } from "./fs.ts";
import type { CgroupLayout } from "./layout.ts";
import { layoutOfMembers, memberKeys, type Member } from "./members.ts";
import { PollingOomWatcher, watchOomV1, type OomWatcher } from "./oom.ts";
import { emptyStats } from "./stats.ts";
import type { CgroupStats, LinuxResources } from "./types.ts";
import { readBlkioStatsV1 } from "./v1/blkio.ts";
import { readCpuStatsV1 } from "./v1/cpu.ts";
import { readCpuacctStatsV1 } from "./v1/cpuacct.ts";
import { isFrozenV1, setFreezerStateV1 } from "./v1/freezer.ts";
import { readHugetlbStatsV1 } from "./v1/hugetlb.ts";
import { readMemoryStatsV1, readOomKillCountV1 } from "./v1/memory.ts";
import { readPidsStats } from "./v1/pids.ts";
import { readCpuStatsV2 } from "./v2/cpu.ts";
import { isFrozenV2, setFrozenV2 } from "./v2/freezer.ts";
import { readHugetlbStatsV2 } from "./v2/hugetlb.ts";
import { readIoStatsV2 } from "./v2/io.ts";
import { readMemoryStatsV2, readOomKillCountV2 } from "./v2/memory.ts";
import { explainMissingController } from "./v2/subtree.ts";

/** A container's cgroup. Methods throw CgroupError with a one-line message. */
export interface Cgroup {
  /** The cgroup path relative to each hierarchy's root, such as "/ns/abc". */
  readonly path: string;
  /** "v1", "v2" or "hybrid": which hierarchies the cgroup lives in. */
  readonly layout: CgroupLayout;
  /** The absolute directory per v1 controller (and "name=..."), and "unified" for cgroup v2; for state.json. */
  readonly paths: Readonly<Record<string, string>>;
  /**
   * Per key of `paths`, the highest directory that ns owns above or at the
   * cgroup; destroy() removes empty directories up to it. Save it beside
   * `paths` and pass it to loadCgroup() so that a later process removes the
   * parents this one created.
   */
  readonly ownedTop: Readonly<Record<string, string>>;
  /** Makes the directory in every hierarchy, parents too; v1 cpusets get the parent's CPUs and memory nodes. */
  create(): void;
  /** Moves a process into the cgroup in every hierarchy (cgroup.procs). */
  addProcess(pid: number): void;
  /**
   * Where a new process joins the cgroup itself: the v1 "tasks" files it
   * writes "0" to, and the cgroup2 directory to clone it into
   * (CLONE_INTO_CGROUP). Both avoid the kernel's slow path of moving a
   * process by pid.
   */
  joinTargets(): { tasksFiles: string[]; cgroup2Dir: string | undefined };
  /** Sets every field given, after checking them all; the error names the field, the file and the value. */
  apply(resources: LinuxResources): void;
  /** Changes the limits of a live container; fields not given keep their values. */
  update(resources: LinuxResources): void;
  /** Freezes every process and returns once the kernel reports the cgroup frozen. */
  freeze(): void;
  /** Thaws the cgroup and returns once the kernel reports it thawed. */
  thaw(): void;
  frozen(): boolean;
  /** Every process in the cgroup and its descendants. */
  pids(): number[];
  /** Statistics shaped like the "data" of runc's `events --stats`. */
  stats(): CgroupStats;
  /** How many processes the OOM killer has killed in the cgroup; 0 without a memory controller. */
  oomKillCount(): number;
  /** Starts watching for OOM events; the caller closes the watcher. */
  watchOom(): OomWatcher;
  /** Kills every process, waits until the cgroup is empty, and removes it and the empty parents that ns owns. */
  destroy(): void;
}

// The v1 hierarchy that pids() reads, in order of preference; any would do,
// because every process joins every hierarchy.
const PIDS_SOURCES = ["freezer", "pids", "memory", "cpu", "devices"];

export class CgroupImpl implements Cgroup {
  readonly layout: CgroupLayout;

  constructor(
    readonly path: string,
    private readonly members: Member[],
  ) {
    this.layout = layoutOfMembers(members);
  }

  get paths(): Readonly<Record<string, string>> {
    return Object.fromEntries(this.members.flatMap((member) => memberKeys(member).map((key) => [key, member.dir.path])));
  }

  get ownedTop(): Readonly<Record<string, string>> {
    return Object.fromEntries(this.members.flatMap((member) => memberKeys(member).map((key) => [key, member.ownedTop])));
  }

  create(): void {
    for (const member of this.members) {
      if (member.created) continue;
      try {
        createMember(member, this.path);
      } catch (error) {
        this.undoCreate();
        throw error;
      }
    }
  }

  /** Removes what a failed create() made in the hierarchies it had finished. */
  private undoCreate(): void {
    for (const member of this.members) {
      if (!member.created) continue;
      try {
        removeMember(member);
      } catch {
        // The error that made create() fail is the one to report.
      }
    }
  }

  addProcess(pid: number): void {
    if (!Number.isInteger(pid) || pid <= 0) throw new CgroupError(`cannot add process ${pid} to a cgroup: not a process id`);
    for (const member of this.members) {
      member.dir.write({ file: "cgroup.procs", value: String(pid), field: "" });
    }
  }

  joinTargets(): { tasksFiles: string[]; cgroup2Dir: string | undefined } {
    const tasksFiles: string[] = [];
    let cgroup2Dir: string | undefined;
    for (const member of this.members) {
      if (member.version === 2) cgroup2Dir = member.dir.path;
      else tasksFiles.push(`${member.dir.path}/tasks`);
    }
    return { tasksFiles, cgroup2Dir };
  }

  apply(resources: LinuxResources): void {
    const targets = this.driverTargets();
    const plans: { dir: CgroupDir; steps: ApplyStep[] }[] = [];
    for (const group of RESOURCE_GROUPS) {
      if (!(group.v1 ?? group.v2)!.isSet(resources)) continue;
      const { driver, dir } = pickDriver(group, targets);
      plans.push({ dir, steps: driver.plan(resources, dir) });
    }
    for (const { dir, steps } of plans) runSteps(dir, steps);
  }

  update(resources: LinuxResources): void {
    // apply() writes only the fields given, so it serves updates as well.
    this.apply(resources);
  }

  freeze(): void {
    const freezer = this.freezer();
    if (freezer.version === 1) setFreezerStateV1(freezer.dir, "FROZEN");
    else setFrozenV2(freezer.dir, true);
  }

  thaw(): void {
    const freezer = this.freezer();
    if (freezer.version === 1) setFreezerStateV1(freezer.dir, "THAWED");
    else setFrozenV2(freezer.dir, false);
  }

  frozen(): boolean {
    const freezer = this.freezer();
    return freezer.version === 1 ? isFrozenV1(freezer.dir) : isFrozenV2(freezer.dir);
  }

  pids(): number[] {
    const source =
      PIDS_SOURCES.map((name) => this.v1Member(name)).find((member) => member !== undefined) ??
      this.v2Member() ??
      this.members[0];
    return source === undefined ? [] : pidsIn([source.dir]);
  }

  stats(): CgroupStats {
    const stats = emptyStats();
    const v1Controllers = new Set<string>();
    for (const member of this.members) {
      if (member.version !== 1) continue;
      for (const controller of member.controllers) {
        v1Controllers.add(controller);
        V1_STATS[controller]?.(member.dir, stats);
      }
    }
    const unified = this.v2Member();
    if (unified !== undefined) {
      // cpu.stat reports usage even without the cpu controller.
      if (!v1Controllers.has("cpuacct")) readCpuStatsV2(unified.dir, stats);
      const enabled = this.v2Controllers();
      for (const [controller, read] of Object.entries(V2_STATS)) {
        if (enabled.includes(controller) && !v1Controllers.has(V1_NAME[controller] ?? controller)) read(unified.dir, stats);
      }
    }
    return stats;
  }

  oomKillCount(): number {
    const memoryV1 = this.v1Member("memory");
    if (memoryV1 !== undefined) return readOomKillCountV1(memoryV1.dir);
    const unified = this.v2Member();
    if (unified !== undefined && this.v2Controllers().includes("memory")) return readOomKillCountV2(unified.dir);
    return 0;
  }

  watchOom(): OomWatcher {
    const memoryV1 = this.v1Member("memory");
    if (memoryV1 !== undefined) {
      try {
        return watchOomV1(memoryV1.dir);
      } catch {
        // A kernel without memory.oom_control notifications still counts kills.
      }
    }
    return new PollingOomWatcher(() => this.oomKillCount());
  }

  destroy(): void {
    const created = this.members.filter((member) => member.created);
    killAll(created);
    for (const member of created) removeMember(member);
  }

  private v1Member(controller: string): Member | undefined {
    return this.members.find((member) => member.version === 1 && member.controllers.includes(controller));
  }

  private v2Member(): Member | undefined {
    return this.members.find((member) => member.version === 2);
  }

  private v2Controllers(): string[] {
    const unified = this.v2Member();
    return (unified?.dir.readOptional("cgroup.controllers") ?? "").split(/\s+/).filter((name) => name !== "");
  }

  /** Returns the member that freeze() uses: the v1 freezer hierarchy, or else the cgroup2 one (cgroup.freeze). */
  private freezer(): Member {
    const freezer = this.v1Member("freezer") ?? this.v2Member();
    if (freezer === undefined) throw new CgroupError("cannot freeze the cgroup: the freezer cgroup controller is not mounted and there is no cgroup2 hierarchy");
    return freezer;
  }

  private driverTargets(): DriverTargets {
    const unified = this.v2Member();
    let controllers: string[] | undefined;
    return {
      hasV1: this.layout !== "v2",
      v1Dir: (controller) => this.v1Member(controller)?.dir,
      v2Dir: () => unified?.dir,
      v2Has: (controller) => (controllers ??= this.v2Controllers()).includes(controller),
      explainMissingV2: (controller) =>
        unified?.mountPoint === undefined
          ? `the ${controller} controller is not enabled for ${unified?.dir.path}. Enable it in the parent's cgroup.subtree_control.`
          : explainMissingController(unified.mountPoint, this.path, controller),
    };
  }
}

const V1_STATS: Record<string, (dir: CgroupDir, stats: CgroupStats) => void> = {
  cpu: readCpuStatsV1,
  cpuacct: readCpuacctStatsV1,
  memory: readMemoryStatsV1,
  pids: readPidsStats,
  blkio: readBlkioStatsV1,
  hugetlb: readHugetlbStatsV1,
};

const V2_STATS: Record<string, (dir: CgroupDir, stats: CgroupStats) => void> = {
  memory: readMemoryStatsV2,
  pids: readPidsStats,
  io: readIoStatsV2,
  hugetlb: readHugetlbStatsV2,
};

// The cgroup v1 controller that reports what a cgroup v2 controller does.
const V1_NAME: Record<string, string> = { io: "blkio" };
