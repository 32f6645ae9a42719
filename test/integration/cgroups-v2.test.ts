// The cgroup v2 driver: on this host's real cgroup2 hierarchy (the device
// program, cgroup.freeze, cgroup.kill), and against a directory tree that
// imitates a cgroup2 mount for the controller files the host cannot enable.
import { afterEach, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deviceProgramIds } from "../../src/cgroups/bpf/program.ts";
import { cgroupFor, DEFAULT_PARENT, defaultDeviceRules, listHierarchies, type Cgroup } from "../../src/cgroups/index.ts";

const isRoot = process.getuid?.() === 0;
const unifiedRoot = isRoot ? listHierarchies().find((h) => h.version === 2)?.mountPoint : undefined;

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

/** Creates a cgroup in the real cgroup2 hierarchy only, which afterEach destroys. */
function newV2Cgroup(): Cgroup {
  const cgroup = cgroupFor({ id: "test", cgroupsPath: `/${randomName()}/c`, root: unifiedRoot! });
  made.push(cgroup);
  cgroup.create();
  return cgroup;
}

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

function dirsOf(cgroup: Cgroup): string[] {
  const owned = Object.values(cgroup.ownedTop).filter((dir) => !dir.endsWith(DEFAULT_PARENT));
  return [...Object.values(cgroup.paths), ...owned];
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

describe.skipIf(needs(unifiedRoot !== undefined, "root and a mounted cgroup2 hierarchy"))("real cgroup2 hierarchy", () => {
  test("device program denies /dev/zero and allows /dev/null", async () => {
    const cgroup = newV2Cgroup();
    expect(cgroup.layout).toBe("v2");
    cgroup.apply({ devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 3, access: "rw" }] });
    expect(deviceProgramIds(cgroup.paths["unified"]!).length).toBe(1);

    const { proc, go } = startShell("echo x > /dev/null && echo null-ok; head -c1 /dev/zero > /dev/null && echo zero-ok");
    cgroup.addProcess(proc.pid);
    go();
    const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);

    expect(stdout).toContain("null-ok");
    expect(stdout).not.toContain("zero-ok");
    expect(stderr).toContain("Operation not permitted");
  });

  test("update replaces the device program", async () => {
    const cgroup = newV2Cgroup();
    cgroup.apply({ devices: [{ allow: false, access: "rwm" }, ...defaultDeviceRules] });
    const [first] = deviceProgramIds(cgroup.paths["unified"]!);
    cgroup.update({ devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 5, access: "r" }] });
    const after = deviceProgramIds(cgroup.paths["unified"]!);
    expect(after.length).toBe(1);
    expect(after[0]).not.toBe(first);

    // The new rules allow reading /dev/zero and deny /dev/null, so the output goes to a pipe.
    const { proc, go } = startShell('echo "zero $(head -c1 /dev/zero | wc -c)"; : > /dev/null && echo null-ok');
    cgroup.addProcess(proc.pid);
    go();
    const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(stdout).toContain("zero 1");
    expect(stdout).not.toContain("null-ok");
    expect(stderr).toContain("/dev/null");
  });

  test("freeze uses cgroup.freeze", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ns-test-"));
    scratch.push(dir);
    const counter = join(dir, "counter");
    const cgroup = newV2Cgroup();
    const { proc, go } = startShell(`i=0; while :; do i=$((i+1)); echo $i > ${counter}; sleep 0.01; done`);
    cgroup.addProcess(proc.pid);
    go();
    await waitFor(() => existsSync(counter));

    cgroup.freeze();
    expect(cgroup.frozen()).toBe(true);
    expect(readFileSync(join(cgroup.paths["unified"]!, "cgroup.events"), "utf8")).toContain("frozen 1");
    const atFreeze = readFileSync(counter, "utf8");
    await Bun.sleep(300);
    expect(readFileSync(counter, "utf8")).toBe(atFreeze);

    cgroup.thaw();
    expect(cgroup.frozen()).toBe(false);
    await Bun.sleep(300);
    expect(await readCounter(counter)).toBeGreaterThan(Number(atFreeze));
  });

  test("destroy kills a process tree", async () => {
    const cgroup = newV2Cgroup();
    const { proc, go } = startShell("sleep 60 & sleep 60 & wait");
    cgroup.addProcess(proc.pid);
    go();
    await waitFor(() => cgroup.pids().length === 3);
    const pids = cgroup.pids();
    const dirs = dirsOf(cgroup);

    cgroup.destroy();
    await proc.exited;
    expect(proc.signalCode).toBe("SIGKILL");
    for (const pid of pids) expect(existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, "utf8") !== "").toBe(false);
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
  });

  test("stats without v2 controllers", async () => {
    const cgroup = newV2Cgroup();
    const { proc, go } = startShell("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 60");
    cgroup.addProcess(proc.pid);
    go();
    await Bun.sleep(300);
    // cpu.stat reports usage even where the cpu controller is not enabled.
    expect(cgroup.stats().cpu.usage.total).toBeGreaterThan(0);
    expect(cgroup.pids()).toEqual([proc.pid]);
  });
});

// This host's cgroup2 hierarchy offers only hugetlb, so memory.max, cpu.max,
// io.max, pids.max and the other v2 controller files cannot be written for
// real. These tests check which files receive which values against a
// directory tree that imitates a cgroup2 mount (the `root` option). The
// kernel's own checks of those values are not exercised here.
describe("imitated cgroup2 tree", () => {
  const CONTROLLERS = "cpuset cpu io memory hugetlb pids rdma";

  /** Makes a directory as the kernel would: the core files and those of the enabled controllers. */
  function kernelMkdir(dir: string, files: Record<string, string>): void {
    mkdirSync(dir, { recursive: true });
    const core = { "cgroup.controllers": CONTROLLERS, "cgroup.subtree_control": "", "cgroup.procs": "", "cgroup.events": "populated 0\nfrozen 0\n" };
    for (const [name, value] of Object.entries({ ...core, ...files })) writeFileSync(join(dir, name), value);
  }

  function fakeRoot(): string {
    const root = mkdtempSync(join(tmpdir(), "ns-test-cgroup2-"));
    scratch.push(root);
    kernelMkdir(root, {});
    // The parents exist, as after an earlier container: /ns belongs to ns, so
    // create() enables controllers in it and in /ns/fake.
    kernelMkdir(join(root, "ns"), {});
    kernelMkdir(join(root, "ns", "fake"), {});
    return root;
  }

  const leafFiles = {
    "memory.max": "max",
    "memory.swap.max": "max",
    "memory.low": "0",
    "memory.high": "max",
    "memory.current": "0",
    "cpu.max": "max 100000",
    "cpu.max.burst": "0",
    "cpu.weight": "100",
    "cpu.idle": "0",
    "cpuset.cpus": "",
    "cpuset.mems": "",
    "pids.max": "max",
    "io.weight": "default 100",
    "io.max": "",
    "hugetlb.2MB.max": "max",
    "hugetlb.2MB.rsvd.max": "max",
    "hugetlb.1GB.max": "max",
    "rdma.max": "",
  };

  function read(dir: string, file: string): string {
    return readFileSync(join(dir, file), "utf8");
  }

  test("controllers are enabled only in owned parents", () => {
    const root = fakeRoot();
    const cgroup = cgroupFor({ id: "test", cgroupsPath: "fake/c", root });
    expect(cgroup.layout).toBe("v2");
    cgroup.create();

    const everything = "+cpuset +cpu +io +memory +hugetlb +pids +rdma";
    expect(read(join(root, "ns"), "cgroup.subtree_control")).toBe(everything);
    expect(read(join(root, "ns", "fake"), "cgroup.subtree_control")).toBe(everything);
    expect(read(root, "cgroup.subtree_control")).toBe("");
    expect(existsSync(join(root, "ns", "fake", "c"))).toBe(true);
    expect(cgroup.ownedTop["unified"]).toBe(join(root, "ns"));
  });

  test("resources land in the v2 files", () => {
    const root = fakeRoot();
    const cgroup = cgroupFor({ id: "test", cgroupsPath: "fake/c", root });
    cgroup.create();
    const leaf = cgroup.paths["unified"]!;
    kernelMkdir(leaf, leafFiles);

    cgroup.apply({
      memory: { limit: 1024 * 1024 * 1024, swap: 1536 * 1024 * 1024, reservation: 256 * 1024 * 1024 },
      cpu: { shares: 2048, quota: 50000, period: 100000, burst: 10000, idle: 1, cpus: "0-1", mems: "0" },
      pids: { limit: 100 },
      blockIO: { weight: 1000, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }], throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 0 }] },
      hugepageLimits: [{ pageSize: "2MB", limit: 8 * 1024 * 1024 }, { pageSize: "1GB", limit: -1 }],
      rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
      unified: { "memory.high": "900000000" },
    });

    expect(read(leaf, "memory.max")).toBe("1073741824");
    expect(read(leaf, "memory.swap.max")).toBe("536870912");
    expect(read(leaf, "memory.low")).toBe("268435456");
    expect(read(leaf, "memory.high")).toBe("900000000");
    expect(read(leaf, "cpu.weight")).toBe("79");
    expect(read(leaf, "cpu.max")).toBe("50000 100000");
    expect(read(leaf, "cpu.max.burst")).toBe("10000");
    expect(read(leaf, "cpu.idle")).toBe("1");
    expect(read(leaf, "cpuset.cpus")).toBe("0-1");
    expect(read(leaf, "cpuset.mems")).toBe("0");
    expect(read(leaf, "pids.max")).toBe("100");
    expect(read(leaf, "io.weight")).toBe("10000");
    expect(read(leaf, "io.max")).toBe("8:0 rbps=1048576 wbps=max");
    expect(read(leaf, "hugetlb.2MB.max")).toBe("8388608");
    expect(read(leaf, "hugetlb.2MB.rsvd.max")).toBe("8388608");
    expect(read(leaf, "hugetlb.1GB.max")).toBe("max");
    expect(read(leaf, "rdma.max")).toBe("mlx5_1 hca_handle=3 hca_object=10000");
  });

  test("update keeps fields not given", () => {
    const root = fakeRoot();
    const cgroup = cgroupFor({ id: "test", cgroupsPath: "fake/c", root });
    cgroup.create();
    const leaf = cgroup.paths["unified"]!;
    kernelMkdir(leaf, leafFiles);

    cgroup.apply({ pids: { limit: 10 }, cpu: { quota: 20000 } });
    writeFileSync(join(leaf, "cpu.max"), "20000 100000");
    cgroup.update({ cpu: { period: 50000 } });
    expect(read(leaf, "cpu.max")).toBe("20000 50000");
    expect(read(leaf, "pids.max")).toBe("10");
  });

  test("missing controller names the parent's subtree_control", () => {
    const root = fakeRoot();
    const cgroup = cgroupFor({ id: "test", cgroupsPath: "fake/c", root });
    cgroup.create();
    const leaf = cgroup.paths["unified"]!;
    kernelMkdir(leaf, { ...leafFiles, "cgroup.controllers": "cpu pids" });

    expect(() => cgroup.apply({ memory: { limit: 1024 } })).toThrow(
      `linux.resources.memory: the memory controller is not enabled for ${leaf}. Enable it in ${join(root, "ns", "fake", "cgroup.subtree_control")} (+memory).`,
    );
    expect(() => cgroup.apply({ network: { classID: 1 } })).toThrow("linux.resources.network.classID: the net_cls cgroup controller is not mounted on this host, and cgroup v2 has no net_cls controller");
    expect(read(leaf, "memory.max")).toBe("max");
  });

  test("v1-only fields are rejected on v2", () => {
    const root = fakeRoot();
    const cgroup = cgroupFor({ id: "test", cgroupsPath: "fake/c", root });
    cgroup.create();
    kernelMkdir(cgroup.paths["unified"]!, leafFiles);

    expect(() => cgroup.apply({ memory: { kernelTCP: 1024 } })).toThrow("linux.resources.memory.kernelTCP: cgroup v2 has no separate TCP buffer limit");
    expect(() => cgroup.apply({ cpu: { realtimePeriod: 1000000 } })).toThrow("cgroup v2 has no real-time CPU bandwidth control");
    expect(() => cgroup.apply({ blockIO: { leafWeight: 100 } })).toThrow("cgroup v2 has no leaf weights");
  });

  test("page size the tree lacks is named", () => {
    const root = fakeRoot();
    const cgroup = cgroupFor({ id: "test", cgroupsPath: "fake/c", root });
    cgroup.create();
    kernelMkdir(cgroup.paths["unified"]!, leafFiles);

    expect(() => cgroup.apply({ hugepageLimits: [{ pageSize: "64KB", limit: 65536 }] })).toThrow(
      "linux.resources.hugepageLimits[0].pageSize: this host has no 64KB huge pages (hugetlb.64KB.max not found, sizes offered: 1GB, 2MB)",
    );
  });
});
