// The cgroup v1 drivers' plans: which files get which values, in which order.
import { describe, expect, test } from "bun:test";
import { planBlkioV1 } from "../../src/cgroups/v1/blkio.ts";
import { planCpuV1, type CpuV1State } from "../../src/cgroups/v1/cpu.ts";
import { planCpuset } from "../../src/cgroups/v1/cpuset.ts";
import { planDevicesV1 } from "../../src/cgroups/v1/devices.ts";
import { planHugetlb } from "../../src/cgroups/v1/hugetlb.ts";
import { planMemoryV1, type MemoryV1State } from "../../src/cgroups/v1/memory.ts";
import { planNetCls } from "../../src/cgroups/v1/net_cls.ts";
import { planNetPrio } from "../../src/cgroups/v1/net_prio.ts";
import { planPids } from "../../src/cgroups/v1/pids.ts";
import { planRdma } from "../../src/cgroups/v1/rdma.ts";
import type { CgroupWrite } from "../../src/cgroups/fs.ts";

const files = (writes: CgroupWrite[]) => writes.map((write) => `${write.file}=${write.value}`);

function memoryState(limit: bigint, usage = 0n): MemoryV1State {
  return { limit, hasMemsw: true, usage: () => usage };
}

describe("v1 memory plan", () => {
  test("raising both limits writes memsw first", () => {
    const writes = planMemoryV1({ limit: 200, swap: 300 }, memoryState(100n));
    expect(files(writes)).toEqual(["memory.memsw.limit_in_bytes=300", "memory.limit_in_bytes=200"]);
  });

  test("lowering both limits writes memory first", () => {
    const writes = planMemoryV1({ limit: 50, swap: 80 }, memoryState(100n));
    expect(files(writes)).toEqual(["memory.limit_in_bytes=50", "memory.memsw.limit_in_bytes=80"]);
  });

  test("from unlimited, memory goes first", () => {
    const writes = planMemoryV1({ limit: 50, swap: 80 }, memoryState(-1n));
    expect(files(writes)).toEqual(["memory.limit_in_bytes=50", "memory.memsw.limit_in_bytes=80"]);
  });

  test("unlimited memory lifts memsw first", () => {
    const writes = planMemoryV1({ limit: -1 }, memoryState(100n));
    expect(files(writes)).toEqual(["memory.memsw.limit_in_bytes=-1", "memory.limit_in_bytes=-1"]);
    expect(writes[0]!.field).toBe("linux.resources.memory.limit");
  });

  test("unlimited memory without swap accounting writes memory only", () => {
    const writes = planMemoryV1({ limit: -1 }, { limit: 100n, hasMemsw: false, usage: () => 0n });
    expect(files(writes)).toEqual(["memory.limit_in_bytes=-1"]);
  });

  test("swap below limit is rejected", () => {
    expect(() => planMemoryV1({ limit: 200, swap: 100 }, memoryState(-1n))).toThrow("linux.resources.memory.swap: the memory+swap limit 100 is lower than the memory limit 200");
  });

  test("other memory fields", () => {
    const writes = planMemoryV1(
      { reservation: 10, kernel: 20, kernelTCP: 30, swappiness: 60, disableOOMKiller: true, useHierarchy: true },
      memoryState(-1n),
    );
    expect(files(writes)).toEqual([
      "memory.soft_limit_in_bytes=10",
      "memory.kmem.limit_in_bytes=20",
      "memory.kmem.tcp.limit_in_bytes=30",
      "memory.swappiness=60",
      "memory.oom_control=1",
      "memory.use_hierarchy=1",
    ]);
  });

  test("zero limits count as unset", () => {
    expect(planMemoryV1({ limit: 0, swap: 0, reservation: 0 }, memoryState(-1n))).toEqual([]);
  });

  test("checkBeforeUpdate rejects a limit below usage", () => {
    expect(() => planMemoryV1({ limit: 100, checkBeforeUpdate: true }, memoryState(-1n, 500n))).toThrow("below the current usage 500");
  });

  test("bigint limits are accepted", () => {
    expect(files(planMemoryV1({ limit: 1n << 40n }, { limit: -1n, hasMemsw: false, usage: () => 0n }))).toEqual(["memory.limit_in_bytes=1099511627776"]);
  });
});

describe("v1 cpu plan", () => {
  const state: CpuV1State = { quota: -1n, period: 100000n, burst: 0n, rtRuntime: 0n, rtPeriod: 1000000n };

  test("shares, quota and period", () => {
    expect(files(planCpuV1({ shares: 512, quota: 50000, period: 200000 }, state))).toEqual([
      "cpu.shares=512",
      "cpu.cfs_quota_us=50000",
      "cpu.cfs_period_us=200000",
    ]);
  });

  test("negative quota means unlimited", () => {
    expect(files(planCpuV1({ quota: -5 }, state))).toEqual(["cpu.cfs_quota_us=-1"]);
  });

  test("burst larger than quota is rejected", () => {
    expect(() => planCpuV1({ quota: 1000, burst: 2000 }, state)).toThrow("linux.resources.cpu.burst: the burst 2000 is larger than the quota 1000");
  });

  test("burst waits for a quota that makes room", () => {
    const current = { ...state, quota: 10000n };
    expect(files(planCpuV1({ quota: 50000, burst: 20000 }, current))).toEqual(["cpu.cfs_quota_us=50000", "cpu.cfs_burst_us=20000"]);
    expect(files(planCpuV1({ quota: 50000, burst: 5000 }, current))).toEqual(["cpu.cfs_burst_us=5000", "cpu.cfs_quota_us=50000"]);
  });

  test("realtime runtime and period keep runtime within period", () => {
    const current = { ...state, rtRuntime: 950000n, rtPeriod: 1000000n };
    expect(files(planCpuV1({ realtimeRuntime: 40000, realtimePeriod: 50000 }, current))).toEqual([
      "cpu.rt_runtime_us=40000",
      "cpu.rt_period_us=50000",
    ]);
  });

  test("idle accepts only 0 and 1", () => {
    expect(files(planCpuV1({ idle: 1 }, state))).toEqual(["cpu.idle=1"]);
    expect(() => planCpuV1({ idle: 2 }, state)).toThrow("linux.resources.cpu.idle: 2 is out of range");
  });
});

describe("other v1 plans", () => {
  test("cpuset lists", () => {
    expect(files(planCpuset({ cpus: "0-1", mems: "0" }))).toEqual(["cpuset.cpus=0-1", "cpuset.mems=0"]);
    expect(() => planCpuset({ cpus: "0-a" })).toThrow('linux.resources.cpu.cpus: "0-a" is not a list');
  });

  test("pids limit of zero is a real limit", () => {
    expect(files(planPids({ limit: 0 }))).toEqual(["pids.max=0"]);
    expect(files(planPids({ limit: -1 }))).toEqual(["pids.max=max"]);
    expect(files(planPids({ limit: 32 }))).toEqual(["pids.max=32"]);
    expect(planPids({})).toEqual([]);
  });

  test("blkio uses the BFQ files when present", () => {
    const blockIO = { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 400 }] };
    expect(files(planBlkioV1(blockIO, true))).toEqual(["blkio.bfq.weight=300", "blkio.bfq.weight_device=8:0 400"]);
    expect(files(planBlkioV1(blockIO, false))).toEqual(["blkio.weight=300", "blkio.weight_device=8:0 400"]);
  });

  test("blkio throttles and leaf weights", () => {
    const writes = planBlkioV1(
      {
        leafWeight: 20,
        weightDevice: [{ major: 8, minor: 16, leafWeight: 30 }],
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 600 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 300 }],
      },
      false,
    );
    expect(files(writes)).toEqual([
      "blkio.leaf_weight=20",
      "blkio.leaf_weight_device=8:16 30",
      "blkio.throttle.read_bps_device=8:0 600",
      "blkio.throttle.write_iops_device=8:16 300",
    ]);
    expect(writes[3]!.field).toBe("linux.resources.blockIO.throttleWriteIOPSDevice[0]");
  });

  test("devices without a leading reset deny all first", () => {
    expect(files(planDevicesV1([{ allow: true, type: "c", major: 1, minor: 3, access: "rwm" }]))).toEqual(["devices.deny=a", "devices.allow=c 1:3 rwm"]);
    expect(files(planDevicesV1([]))).toEqual(["devices.deny=a"]);
  });

  test("devices apply each rule in order", () => {
    const writes = planDevicesV1([
      { allow: false, access: "rwm" },
      { allow: true, type: "c", major: 1, minor: 3, access: "rw" },
      { allow: true, type: "c", major: 136, access: "rwm" },
      { allow: false, type: "a", major: 8, access: "w" },
    ]);
    expect(files(writes)).toEqual([
      "devices.deny=a",
      "devices.allow=c 1:3 rw",
      "devices.allow=c 136:* rwm",
      "devices.deny=c 8:* w",
      "devices.deny=b 8:* w",
    ]);
  });

  test("hugetlb writes the limit and the reservation limit", () => {
    const names = ["hugetlb.2MB.limit_in_bytes", "hugetlb.2MB.rsvd.limit_in_bytes", "hugetlb.1GB.limit_in_bytes"];
    const spec = {
      limit: (size: string) => `hugetlb.${size}.limit_in_bytes`,
      reservation: (size: string) => `hugetlb.${size}.rsvd.limit_in_bytes`,
      pattern: /^hugetlb\.(.+)\.limit_in_bytes$/,
      format: (limit: bigint) => limit.toString(),
    };
    expect(files(planHugetlb([{ pageSize: "2MB", limit: 4194304 }, { pageSize: "1GB", limit: 0 }], names, spec))).toEqual([
      "hugetlb.2MB.limit_in_bytes=4194304",
      "hugetlb.2MB.rsvd.limit_in_bytes=4194304",
      "hugetlb.1GB.limit_in_bytes=0",
    ]);
    expect(() => planHugetlb([{ pageSize: "64KB", limit: 1 }], names, spec)).toThrow("this host has no 64KB huge pages (hugetlb.64KB.limit_in_bytes not found, sizes offered: 2MB, 1GB)");
    expect(() => planHugetlb([{ pageSize: "2M", limit: 1 }], names, spec)).toThrow('linux.resources.hugepageLimits[0].pageSize: "2M" is not a page size');
  });

  test("network class id and priorities", () => {
    expect(files(planNetCls({ classID: 0x100001 }))).toEqual(["net_cls.classid=1048577"]);
    expect(files(planNetPrio({ priorities: [{ name: "eth0", priority: 5 }] }))).toEqual(["net_prio.ifpriomap=eth0 5"]);
    expect(() => planNetPrio({ priorities: [{ name: "a b", priority: 5 }] })).toThrow("linux.resources.network.priorities[0].name");
  });

  test("rdma lines per device", () => {
    expect(files(planRdma({ mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, rxe3: { hcaObjects: 5 } }))).toEqual([
      "rdma.max=mlx5_1 hca_handle=3 hca_object=10000",
      "rdma.max=rxe3 hca_object=5",
    ]);
    expect(() => planRdma({ mlx: {} })).toThrow('linux.resources.rdma["mlx"]: set hcaHandles, hcaObjects or both');
  });
});
