// The cgroup v2 drivers' plans and the choice between v1 and v2 drivers.
import { describe, expect, test } from "bun:test";
import { pickDriver, RESOURCE_GROUPS, type DriverTargets } from "../../src/cgroups/drivers.ts";
import { CgroupDir, type CgroupWrite } from "../../src/cgroups/fs.ts";
import { parseCpuMax, planCpuV2 } from "../../src/cgroups/v2/cpu.ts";
import { planIoV2 } from "../../src/cgroups/v2/io.ts";
import { planMemoryV2 } from "../../src/cgroups/v2/memory.ts";
import { planUnified } from "../../src/cgroups/v2/unified.ts";

const files = (writes: CgroupWrite[]) => writes.map((write) => `${write.file}=${write.value}`);
const noRead = () => {
  throw new Error("the plan should not read the cgroup here");
};

describe("v2 memory plan", () => {
  test("limit, swap and reservation convert", () => {
    expect(files(planMemoryV2({ limit: 1000, swap: 3000, reservation: 500 }, { limit: noRead, usage: noRead, hasSwap: true }))).toEqual([
      "memory.max=1000",
      "memory.swap.max=2000",
      "memory.low=500",
    ]);
  });

  test("swap alone uses the current memory.max", () => {
    expect(files(planMemoryV2({ swap: 3000 }, { limit: () => 1000n, usage: noRead, hasSwap: true }))).toEqual(["memory.swap.max=2000"]);
  });

  test("unlimited memory lifts swap too", () => {
    expect(files(planMemoryV2({ limit: -1 }, { limit: noRead, usage: noRead, hasSwap: true }))).toEqual(["memory.max=max", "memory.swap.max=max"]);
    expect(files(planMemoryV2({ limit: -1 }, { limit: noRead, usage: noRead, hasSwap: false }))).toEqual(["memory.max=max"]);
  });

  test("v1-only fields are rejected", () => {
    const state = { limit: noRead, usage: noRead, hasSwap: true };
    expect(() => planMemoryV2({ kernel: 100 }, state)).toThrow("linux.resources.memory.kernel: cgroup v2 has no separate kernel memory limit");
    expect(() => planMemoryV2({ swappiness: 10 }, state)).toThrow("linux.resources.memory.swappiness");
    expect(() => planMemoryV2({ disableOOMKiller: true }, state)).toThrow("cannot disable the OOM killer");
    expect(() => planMemoryV2({ useHierarchy: false }, state)).toThrow("always accounts memory hierarchically");
    expect(planMemoryV2({ disableOOMKiller: false, useHierarchy: true }, state)).toEqual([]);
  });

  test("checkBeforeUpdate rejects a limit below usage", () => {
    expect(() => planMemoryV2({ limit: 10, checkBeforeUpdate: true }, { limit: noRead, usage: () => 20n, hasSwap: true })).toThrow("below the current usage 20");
  });
});

describe("v2 cpu plan", () => {
  test("shares become cpu.weight and quota goes into cpu.max", () => {
    expect(files(planCpuV2({ shares: 1024, quota: 50000, period: 100000, idle: 0 }, noRead))).toEqual([
      "cpu.weight=39",
      "cpu.max=50000 100000",
      "cpu.idle=0",
    ]);
  });

  test("quota alone keeps the period", () => {
    expect(files(planCpuV2({ quota: -1 }, noRead))).toEqual(["cpu.max=max"]);
  });

  test("period alone keeps the quota", () => {
    expect(files(planCpuV2({ period: 50000 }, () => parseCpuMax("20000 100000")))).toEqual(["cpu.max=20000 50000"]);
    expect(files(planCpuV2({ period: 50000 }, () => parseCpuMax("max 100000")))).toEqual(["cpu.max=max 50000"]);
  });

  test("burst order follows the current quota", () => {
    expect(files(planCpuV2({ quota: 50000, burst: 20000 }, () => parseCpuMax("10000 100000")))).toEqual(["cpu.max=50000", "cpu.max.burst=20000"]);
    expect(files(planCpuV2({ quota: 50000, burst: 5000 }, () => parseCpuMax("10000 100000")))).toEqual(["cpu.max.burst=5000", "cpu.max=50000"]);
  });

  test("shares out of range are rejected", () => {
    expect(() => planCpuV2({ shares: 1 }, noRead)).toThrow("linux.resources.cpu.shares: 1 is out of range, expected 2 to 262144");
  });

  test("realtime fields are rejected", () => {
    expect(() => planCpuV2({ realtimeRuntime: 1000 }, noRead)).toThrow("cgroup v2 has no real-time CPU bandwidth control");
  });
});

describe("v2 io plan", () => {
  test("weight converts for io.weight and stays for BFQ", () => {
    expect(files(planIoV2({ weight: 500 }, false))).toEqual(["io.weight=4950"]);
    expect(files(planIoV2({ weight: 500 }, true))).toEqual(["io.bfq.weight=500"]);
    expect(files(planIoV2({ weightDevice: [{ major: 8, minor: 0, weight: 10 }] }, false))).toEqual(["io.weight=8:0 1"]);
  });

  test("throttles of one device share an io.max line", () => {
    const writes = planIoV2(
      {
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 0 }, { major: 8, minor: 16, rate: 7 }],
      },
      false,
    );
    expect(files(writes)).toEqual(["io.max=8:0 rbps=1000 wiops=max", "io.max=8:16 wiops=7"]);
  });

  test("leaf weight is rejected", () => {
    expect(() => planIoV2({ leafWeight: 100 }, false)).toThrow("linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weights");
  });
});

describe("unified entries", () => {
  test("existing files are written as given", () => {
    expect(files(planUnified({ "memory.high": "1000", "io.max": "8:0 rbps=1\n8:16 wbps=2" }, ["memory.high", "io.max"], ["memory", "io"]))).toEqual([
      "memory.high=1000",
      "io.max=8:0 rbps=1\n8:16 wbps=2",
    ]);
  });

  test("missing controller is named", () => {
    expect(() => planUnified({ "memory.high": "1" }, [], ["io"])).toThrow('linux.resources.unified["memory.high"]: the memory controller is not enabled for this cgroup');
  });

  test("path in a key is rejected", () => {
    expect(() => planUnified({ "../cgroup.procs": "1" }, [], [])).toThrow("not a cgroup interface file name");
  });
});

describe("driver choice", () => {
  const memory = RESOURCE_GROUPS.find((group) => group.v1?.controller === "memory")!;
  const netCls = RESOURCE_GROUPS.find((group) => group.v1?.controller === "net_cls")!;
  const unified = RESOURCE_GROUPS.find((group) => group.v1 === undefined)!;
  const dir = new CgroupDir("/nonexistent");

  function targets(v1: string[], v2: string[] | undefined): DriverTargets {
    return {
      hasV1: v1.length > 0,
      v1Dir: (controller) => (v1.includes(controller) ? dir : undefined),
      v2Dir: () => (v2 === undefined ? undefined : dir),
      v2Has: (controller) => v2?.includes(controller) ?? false,
      explainMissingV2: (controller) => `${controller} is missing in v2`,
    };
  }

  test("v1 controller wins in hybrid mode", () => {
    expect(pickDriver(memory, targets(["memory"], ["memory"])).driver).toBe(memory.v1!);
  });

  test("v2 serves what v1 lacks", () => {
    expect(pickDriver(memory, targets(["cpu"], ["memory"])).driver).toBe(memory.v2!);
  });

  test("controller missing everywhere is named", () => {
    expect(() => pickDriver(memory, targets(["cpu"], []))).toThrow(
      "linux.resources.memory: the memory cgroup controller is not mounted as a cgroup v1 hierarchy, and memory is missing in v2",
    );
    expect(() => pickDriver(memory, targets(["cpu"], undefined))).toThrow("linux.resources.memory: the memory cgroup controller is not mounted on this host");
    expect(() => pickDriver(memory, targets([], []))).toThrow("linux.resources.memory: memory is missing in v2");
  });

  test("net_cls without a v1 hierarchy is not mounted", () => {
    expect(() => pickDriver(netCls, targets(["cpu"], undefined))).toThrow("linux.resources.network.classID: the net_cls cgroup controller is not mounted on this host");
  });

  test("unified entries need cgroup v2", () => {
    expect(() => pickDriver(unified, targets(["cpu"], undefined))).toThrow("linux.resources.unified: needs cgroup v2");
    expect(pickDriver(unified, targets(["cpu"], [])).driver).toBe(unified.v2!);
  });
});
