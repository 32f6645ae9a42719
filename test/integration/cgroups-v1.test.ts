// The cgroup library on this host's real hierarchies (cgroup v1 controllers,
// plus the cgroup2 hierarchy in hybrid mode): real processes are put into
// cgroups made with the API, and the kernel's reaction is checked.
import { afterEach, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cgroupFor, DEFAULT_PARENT, detectLayout, listHierarchies, loadCgroup, type Cgroup, type LinuxResources } from "../../src/cgroups/index.ts";

const isRoot = process.getuid?.() === 0;
const hierarchies = isRoot ? listHierarchies() : [];
const layout = isRoot ? detectLayout() : undefined;
const v1Has = (controller: string) => hierarchies.some((h) => h.version === 1 && h.controllers.includes(controller));
const hasV1 = isRoot && layout !== "v2";

/** Skips a test with the reason printed, so that a missing prerequisite never passes silently. */
function needs(condition: boolean, what: string): boolean {
  if (!condition) console.warn(`skipped: needs ${what}`);
  return !condition;
}

const made: Cgroup[] = [];
const spawned: Subprocess[] = [];
const scratch: string[] = [];

function randomName(): string {
  return `ns-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Creates a cgroup at /<random>/c, which afterEach destroys if the test did not. */
function newCgroup(cgroupsPath = `/${randomName()}/c`): Cgroup {
  const cgroup = cgroupFor({ id: "test", cgroupsPath });
  made.push(cgroup);
  cgroup.create();
  return cgroup;
}

/** Starts /bin/sh running `script` once a line arrives on stdin, so that it can join a cgroup first. */
function startShell(script: string): { proc: Subprocess<"pipe", "pipe", "pipe">; go(): void } {
  const proc = Bun.spawn(["/bin/sh", "-c", `read go; ${script}`], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  spawned.push(proc);
  return {
    proc,
    go: () => {
      proc.stdin.write("go\n");
      proc.stdin.flush();
    },
  };
}

/** Returns true when a pid is gone or a zombie, that is, no longer running. */
function notRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/**
 * The directories that destroy() must remove: the cgroup's and the parents
 * that the test's create() made. DEFAULT_PARENT itself is left out because
 * other containers on the host may use it.
 */
function dirsOf(cgroup: Cgroup): string[] {
  const owned = Object.values(cgroup.ownedTop).filter((dir) => !dir.endsWith(DEFAULT_PARENT));
  return [...Object.values(cgroup.paths), ...owned];
}

/** Destroys the cgroup and checks that no directory and no process of it remains. */
function destroyAndCheck(cgroup: Cgroup): void {
  const pids = cgroup.pids();
  const dirs = dirsOf(cgroup);
  cgroup.destroy();
  for (const dir of dirs) expect(existsSync(dir)).toBe(false);
  for (const pid of pids) expect(notRunning(pid)).toBe(true);
}

/**
 * Reads the counter file of a running shell loop, which is empty for the
 * moment between the truncation and the write of each new value.
 */
async function readCounter(path: string): Promise<number> {
  let text = readFileSync(path, "utf8");
  for (let attempt = 0; text === "" && attempt < 100; attempt++) {
    await Bun.sleep(5);
    text = readFileSync(path, "utf8");
  }
  return Number(text);
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a condition");
    await Bun.sleep(10);
  }
}

function readCgroupFile(cgroup: Cgroup, controller: string, file: string): string {
  return readFileSync(join(cgroup.paths[controller]!, file), "utf8").trim();
}

afterEach(async () => {
  const dirs = made.flatMap(dirsOf);
  const failures: unknown[] = [];
  for (const cgroup of made.splice(0)) {
    try {
      cgroup.destroy();
    } catch (error) {
      failures.push(error);
    }
  }
  for (const proc of spawned.splice(0)) {
    proc.kill(9);
    await proc.exited;
  }
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
  expect(failures).toEqual([]);
  for (const dir of dirs) expect(existsSync(dir)).toBe(false);
});

describe.skipIf(needs(hasV1, "root and cgroup v1 controllers"))("cgroup v1 hierarchies", () => {
  test.skipIf(needs(v1Has("memory"), "the v1 memory controller"))("OOM kill raises oomKillCount", async () => {
    const cgroup = newCgroup();
    const limit = 32 * 1024 * 1024;
    cgroup.apply({ memory: { limit, swap: limit } });
    expect(cgroup.oomKillCount()).toBe(0);

    // tail keeps the last lines of its input in memory, and /dev/zero has no newline.
    const { proc, go } = startShell("exec tail /dev/zero");
    cgroup.addProcess(proc.pid);
    go();
    await proc.exited;

    expect(proc.signalCode).toBe("SIGKILL");
    expect(cgroup.oomKillCount()).toBeGreaterThanOrEqual(1);
    // failcnt stays 0 on Linux 6.18, so the peak usage shows the limit was reached.
    expect(cgroup.stats().memory.usage.max).toBeGreaterThan(limit * 0.9);
    expect(cgroup.stats().memory.usage.limit).toBe(limit);
    destroyAndCheck(cgroup);
  });

  test.skipIf(needs(v1Has("pids") && existsSync("/usr/bin/perl"), "the v1 pids controller and /usr/bin/perl"))("fork loop stops at pids.max", async () => {
    const cgroup = newCgroup();
    cgroup.apply({ pids: { limit: 8 } });
    // perl, because sh exits at the first failed fork.
    const forkLoop = `my ($made, $failed) = (0, 0);
      for (1 .. 40) { my $pid = fork(); if (!defined $pid) { $failed++; next } if ($pid == 0) { sleep 60; exit 0 } $made++ }
      $| = 1; print "made $made failed $failed\n"; sleep 60;`;
    const { proc, go } = startShell(`exec /usr/bin/perl -e '${forkLoop}'`);
    cgroup.addProcess(proc.pid);
    go();

    const stdout = proc.stdout.getReader();
    let output = "";
    while (!output.includes("\n")) {
      const { value, done } = await stdout.read();
      if (done) break;
      output += new TextDecoder().decode(value);
    }
    stdout.releaseLock();
    expect(output).toBe("made 7 failed 33\n");
    expect(cgroup.pids().length).toBe(8);
    expect(readCgroupFile(cgroup, "pids", "pids.current")).toBe("8");
    expect(Number(readCgroupFile(cgroup, "pids", "pids.events").split(" ")[1])).toBeGreaterThan(0);
    expect(cgroup.stats().pids).toEqual({ current: 8, limit: 8 });

    destroyAndCheck(cgroup);
    await proc.exited;
    expect(proc.signalCode).toBe("SIGKILL");
  });

  test.skipIf(needs(v1Has("cpu") && v1Has("cpuacct"), "the v1 cpu and cpuacct controllers"))("cpu quota throttles a busy loop", async () => {
    const cgroup = newCgroup();
    cgroup.apply({ cpu: { quota: 10000, period: 100000 } });
    const { proc, go } = startShell("while :; do :; done");
    cgroup.addProcess(proc.pid);
    go();
    await Bun.sleep(600);

    const stats = cgroup.stats();
    expect(stats.cpu.throttling.throttledPeriods).toBeGreaterThan(0);
    expect(stats.cpu.throttling.throttledTime).toBeGreaterThan(0);
    // 10% of one CPU for 0.6 s is 60 ms; allow for start-up and one period of slack.
    expect(stats.cpu.usage.total).toBeLessThan(200_000_000);
    expect(stats.cpu.usage.total).toBeGreaterThan(0);
    expect(readCgroupFile(cgroup, "cpu", "cpu.cfs_quota_us")).toBe("10000");
    destroyAndCheck(cgroup);
  });

  test.skipIf(needs(v1Has("devices"), "the v1 devices controller"))("device rules deny /dev/zero and allow /dev/null", async () => {
    const cgroup = newCgroup();
    cgroup.apply({ devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 3, access: "rw" }] });
    expect(readCgroupFile(cgroup, "devices", "devices.list")).toBe("c 1:3 rw");

    const { proc, go } = startShell("echo x > /dev/null && echo null-ok; head -c1 /dev/zero > /dev/null && echo zero-ok");
    cgroup.addProcess(proc.pid);
    go();
    const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);

    expect(stdout).toContain("null-ok");
    expect(stdout).not.toContain("zero-ok");
    expect(stderr).toContain("Operation not permitted");
    destroyAndCheck(cgroup);
  });

  test.skipIf(needs(v1Has("freezer"), "the v1 freezer controller"))("freeze stops a counter and thaw restarts it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ns-test-"));
    scratch.push(dir);
    const counter = join(dir, "counter");
    const cgroup = newCgroup();
    const { proc, go } = startShell(`i=0; while :; do i=$((i+1)); echo $i > ${counter}; sleep 0.01; done`);
    cgroup.addProcess(proc.pid);
    go();
    await waitFor(() => existsSync(counter));

    cgroup.freeze();
    expect(cgroup.frozen()).toBe(true);
    expect(readCgroupFile(cgroup, "freezer", "freezer.state")).toBe("FROZEN");
    const atFreeze = readFileSync(counter, "utf8");
    await Bun.sleep(300);
    expect(readFileSync(counter, "utf8")).toBe(atFreeze);

    cgroup.thaw();
    expect(cgroup.frozen()).toBe(false);
    await Bun.sleep(300);
    expect(await readCounter(counter)).toBeGreaterThan(Number(atFreeze));
    destroyAndCheck(cgroup);
  });

  test.skipIf(needs(v1Has("memory") && v1Has("pids") && v1Has("cpu"), "the v1 memory, pids and cpu controllers"))("update changes a live limit", async () => {
    const cgroup = newCgroup();
    const mib = 1024 * 1024;
    cgroup.apply({ pids: { limit: 10 }, memory: { limit: 64 * mib, swap: 64 * mib } });
    const { proc, go } = startShell("exec sleep 60");
    cgroup.addProcess(proc.pid);
    go();

    cgroup.update({ pids: { limit: 20 } });
    expect(readCgroupFile(cgroup, "pids", "pids.max")).toBe("20");
    expect(readCgroupFile(cgroup, "memory", "memory.limit_in_bytes")).toBe(String(64 * mib));

    // Raising needs memsw first, lowering needs memory first.
    cgroup.update({ memory: { limit: 128 * mib, swap: 256 * mib } });
    expect(readCgroupFile(cgroup, "memory", "memory.limit_in_bytes")).toBe(String(128 * mib));
    expect(readCgroupFile(cgroup, "memory", "memory.memsw.limit_in_bytes")).toBe(String(256 * mib));
    cgroup.update({ memory: { limit: 48 * mib, swap: 48 * mib } });
    expect(readCgroupFile(cgroup, "memory", "memory.limit_in_bytes")).toBe(String(48 * mib));
    expect(readCgroupFile(cgroup, "memory", "memory.memsw.limit_in_bytes")).toBe(String(48 * mib));
    cgroup.update({ memory: { limit: -1 } });
    expect(cgroup.stats().memory.usage.limit).toBeGreaterThan(2 ** 62);

    cgroup.update({ cpu: { quota: 20000, period: 50000, shares: 256 } });
    expect(readCgroupFile(cgroup, "cpu", "cpu.cfs_quota_us")).toBe("20000");
    expect(readCgroupFile(cgroup, "cpu", "cpu.cfs_period_us")).toBe("50000");
    expect(readCgroupFile(cgroup, "cpu", "cpu.shares")).toBe("256");
    expect(cgroup.pids()).toEqual([proc.pid]);
    destroyAndCheck(cgroup);
  });

  test.skipIf(needs(v1Has("pids") && v1Has("memory"), "the v1 pids and memory controllers"))("apply checks every field before writing", () => {
    const cgroup = newCgroup();
    const resources: LinuxResources = { pids: { limit: 5 }, memory: { swappiness: 500 } };
    expect(() => cgroup.apply(resources)).toThrow("linux.resources.memory.swappiness: 500 is out of range, expected 0 to 100");
    expect(readCgroupFile(cgroup, "pids", "pids.max")).toBe("max");
    destroyAndCheck(cgroup);
  });

  test.skipIf(needs(v1Has("cpuset"), "the v1 cpuset controller"))("new cpuset gets the parent's CPUs", () => {
    const cgroup = newCgroup();
    const root = hierarchies.find((h) => h.controllers.includes("cpuset"))!.mountPoint;
    expect(readCgroupFile(cgroup, "cpuset", "cpuset.cpus")).toBe(readFileSync(join(root, "cpuset.cpus"), "utf8").trim());
    expect(readCgroupFile(cgroup, "cpuset", "cpuset.mems")).toBe(readFileSync(join(root, "cpuset.mems"), "utf8").trim());
    cgroup.apply({ cpu: { cpus: "0", mems: "0" } });
    expect(readCgroupFile(cgroup, "cpuset", "cpuset.cpus")).toBe("0");
    destroyAndCheck(cgroup);
  });

  test("stats have the runc shape", async () => {
    const cgroup = newCgroup();
    const { proc, go } = startShell("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 60");
    cgroup.addProcess(proc.pid);
    go();
    await Bun.sleep(300);

    const stats = cgroup.stats();
    expect(Object.keys(stats).sort()).toEqual(["blkio", "cpu", "hugetlb", "memory", "pids"]);
    if (v1Has("cpuacct")) expect(stats.cpu.usage.total).toBeGreaterThan(0);
    if (v1Has("cpuacct")) expect(stats.cpu.usage.percpu?.length).toBeGreaterThan(0);
    if (v1Has("memory")) expect(stats.memory.usage.usage).toBeGreaterThan(0);
    if (v1Has("memory")) expect(Object.keys(stats.memory.raw)).toContain("rss");
    if (v1Has("pids")) expect(stats.pids.current).toBe(2);
    destroyAndCheck(cgroup);
  });

  test("reopened cgroup removes the parents it created", async () => {
    const parent = randomName();
    const cgroup = newCgroup(`/${parent}/a/b`);
    const { proc, go } = startShell("exec sleep 60");
    cgroup.addProcess(proc.pid);
    go();

    const reopened = loadCgroup(cgroup.paths, cgroup.ownedTop);
    expect(reopened.path).toBe(`/${parent}/a/b`);
    expect(reopened.pids()).toEqual([proc.pid]);
    reopened.destroy();
    await proc.exited;

    for (const hierarchy of hierarchies) expect(existsSync(join(hierarchy.mountPoint, parent))).toBe(false);
    made.splice(made.indexOf(cgroup), 1);
  });

  test("shared parent stays until the last cgroup goes", () => {
    // Paths below DEFAULT_PARENT, where every directory belongs to ns.
    const parent = randomName();
    const first = newCgroup(`${parent}/first`);
    const second = newCgroup(`${parent}/second`);
    const parentDirs = hierarchies.map((hierarchy) => join(hierarchy.mountPoint, "ns", parent));

    first.destroy();
    for (const dir of Object.values(first.paths)) expect(existsSync(dir)).toBe(false);
    for (const dir of parentDirs) expect(existsSync(dir)).toBe(true);
    second.destroy();
    for (const dir of parentDirs) expect(existsSync(dir)).toBe(false);
  });

  test("concurrent create and destroy under one parent", async () => {
    const parent = randomName();
    const library = join(import.meta.dir, "../../src/cgroups/index.ts");
    const worker = (name: string) => `
      import { cgroupFor } from ${JSON.stringify(library)};
      for (let i = 0; i < 25; i++) {
        const cgroup = cgroupFor({ id: "t", cgroupsPath: "${parent}/${name}-" + i });
        cgroup.create();
        cgroup.destroy();
      }`;
    const workers = ["a", "b", "c"].map((name) => Bun.spawn([process.execPath, "-e", worker(name)], { stdout: "pipe", stderr: "pipe" }));
    spawned.push(...workers);
    const results = await Promise.all(workers.map(async (proc) => ({ code: await proc.exited, stderr: await new Response(proc.stderr).text() })));

    for (const { code, stderr } of results) {
      expect(stderr).toBe("");
      expect(code).toBe(0);
    }
    for (const hierarchy of hierarchies) expect(existsSync(join(hierarchy.mountPoint, "ns", parent))).toBe(false);
  });

  test("existing cgroup outside ns is refused", () => {
    const parent = randomName();
    const taken = newCgroup(`/${parent}/c`);
    const intruder = cgroupFor({ id: "test", cgroupsPath: `/${parent}/c` });
    expect(() => intruder.create()).toThrow("already exists, and ns uses only cgroups that it creates");
    // The failed create() removed nothing of the cgroup it found.
    for (const dir of Object.values(taken.paths)) expect(existsSync(dir)).toBe(true);
    intruder.destroy();
    for (const dir of Object.values(taken.paths)) expect(existsSync(dir)).toBe(true);
    destroyAndCheck(taken);
  });

  test.skipIf(needs(!v1Has("net_cls"), "a host without the net_cls controller"))("missing controller is named", () => {
    const cgroup = newCgroup();
    expect(() => cgroup.apply({ network: { classID: 0x100001 } })).toThrow(
      "linux.resources.network.classID: the net_cls cgroup controller is not mounted on this host",
    );
    destroyAndCheck(cgroup);
  });

  test.skipIf(needs(v1Has("blkio"), "the v1 blkio controller"))("missing kernel file is named", () => {
    const cgroup = newCgroup();
    const dir = cgroup.paths["blkio"]!;
    if (existsSync(join(dir, "blkio.weight")) || existsSync(join(dir, "blkio.bfq.weight"))) {
      console.warn("skipped the check: this host has blkio weights");
    } else {
      expect(() => cgroup.apply({ blockIO: { weight: 500 } })).toThrow(
        `linux.resources.blockIO.weight: cannot write "500" to ${dir}/blkio.weight: ENOENT (no such file or directory). blkio weights need the BFQ I/O scheduler on the device.`,
      );
    }
    destroyAndCheck(cgroup);
  });

  test.skipIf(needs(layout === "hybrid" && !v1Has("hugetlb"), "a hybrid host with hugetlb only on cgroup v2"))("hugetlb goes to the cgroup2 hierarchy", () => {
    const cgroup = newCgroup();
    const unified = hierarchies.find((h) => h.version === 2)!.mountPoint;
    const rootDelegates = readFileSync(join(unified, "cgroup.subtree_control"), "utf8").includes("hugetlb");
    if (rootDelegates) {
      cgroup.apply({ hugepageLimits: [{ pageSize: "2MB", limit: 4 * 1024 * 1024 }] });
      expect(readCgroupFile(cgroup, "unified", "hugetlb.2MB.max")).toBe(String(4 * 1024 * 1024));
    } else {
      // ns changes subtree_control only in parents it created, and the root is not one.
      expect(() => cgroup.apply({ hugepageLimits: [{ pageSize: "2MB", limit: 4 * 1024 * 1024 }] })).toThrow(
        `Enable it in ${unified}/cgroup.subtree_control (+hugetlb).`,
      );
    }
    destroyAndCheck(cgroup);
  });
});
