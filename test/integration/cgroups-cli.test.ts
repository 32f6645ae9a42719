// Resource limits of real containers through the CLI: the OOM killer and
// `ns events`, statistics in runc's shape, the pids limit, CPU throttling
// and device rules, each checked from inside the container and from the
// cgroup files on the host. This host's controllers are cgroup v1; a test
// that needs one that is missing says so and is skipped.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeStateRoot, removeStateRoot } from "../helpers/ns.ts";
import { expectOneLineError, runInBackground, runScript } from "../helpers/run.ts";
import { CGROUP_ROOT, cgroupFile, CliFixture, EventsProcess, expectNothingLeft, hasV1, missing, sharing } from "./cgroups-cli-helpers.ts";
import { waitForStatus, waitUntil } from "./lifecycle-helpers.ts";

// Containers start in 50-200 ms, but an OOM run and the runc comparison take seconds on a loaded 2-core machine.
setDefaultTimeout(60_000);

const MiB = 1024 * 1024;
let fx: CliFixture;

beforeAll(() => {
  fx = new CliFixture(makeStateRoot(), "cgcli");
});

afterAll(() => {
  fx.removeAll();
  removeStateRoot(fx.root);
});

describe("memory limit", () => {
  test.skipIf(missing(!hasV1("memory"), "the cgroup v1 memory controller"))("OOM kill ends run with 137 and events prints oom", async () => {
    const id = fx.newId("oom");
    const shared = fx.newSharedDir();
    // The shell collects 100 MiB from a command substitution; with swap
    // equal to the limit it cannot swap, so the OOM killer ends it.
    const script = 'while [ ! -e /shared/go ]; do sleep 0.02; done; x=$(head -c 104857600 /dev/zero | tr "\\0" x); echo survived';
    let events: EventsProcess | undefined;
    const result = await runInBackground(
      fx.root,
      id,
      script,
      {
        edit: (config) => {
          config.linux.resources.memory = { limit: 32 * MiB, swap: 32 * MiB };
          sharing(config, shared);
        },
      },
      async () => {
        events = new EventsProcess(fx.root, ["--interval", "100ms", id]);
        // ns events watches for OOM events before it prints its first line.
        const stats = await events.waitForEvent("stats");
        expect(stats.data.memory.usage.limit).toBe(32 * MiB);
        writeFileSync(join(shared, "go"), "");
      },
    );

    expect(result.stdout).not.toContain("survived");
    expect(result.code).toBe(137);
    expect(await events!.finish()).toBe(0);
    expect(events!.stderr).toBe("");
    expect(events!.events()).toContainEqual({ type: "oom", id });
    expectNothingLeft(fx.root, id);
  });

  test.skipIf(missing(!hasV1("memory"), "the cgroup v1 memory controller"))("memory limit and usage show inside the container", () => {
    const id = fx.newId("memory-inside");
    const r = runScript(fx.root, id, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", {
      edit: (config) => (config.linux.resources.memory = { limit: 48 * MiB, swap: 64 * MiB }),
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`${48 * MiB}\n${64 * MiB}\n`);
    expect(r.code).toBe(0);
    expectNothingLeft(fx.root, id);
  });
});

describe("events", () => {
  test("events --stats reports usage and limits as JSON", () => {
    const id = fx.newId("stats");
    fx.runDetached(id, "sleep 1000 & exec sleep 999", (config) => {
      config.linux.resources.memory = { limit: 64 * MiB };
      config.linux.resources.pids = { limit: 50 };
    });
    expect(waitUntil(() => JSON.parse(fx.ns(["ps", "--format", "json", id]).stdout).length === 2)).toBe(true);

    const r = fx.ns(["events", "--stats", id]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const event = JSON.parse(lines[0]!);
    expect(event.type).toBe("stats");
    expect(event.id).toBe(id);
    if (hasV1("memory")) {
      expect(event.data.memory.usage.limit).toBe(64 * MiB);
      expect(event.data.memory.usage.usage).toBeGreaterThan(0);
      expect(event.data.memory.usage.usage).toBeLessThan(64 * MiB);
    }
    if (hasV1("cpuacct")) expect(event.data.cpu.usage.total).toBeGreaterThan(0);
    if (hasV1("pids")) expect(event.data.pids).toEqual({ current: 2, limit: 50 });
    fx.cleanUp(id);
  });

  test.skipIf(missing(spawnSync("runc", ["--version"]).status !== 0, "runc on PATH"))("events --stats has every field runc prints", () => {
    const id = fx.newId("stats-runc");
    fx.runDetached(id, "exec sleep 1000", (config) => (config.linux.resources.memory = { limit: 64 * MiB }));
    const ours = JSON.parse(fx.ns(["events", "--stats", id]).stdout);

    const runcRoot = mkdtempSync(join(tmpdir(), "ns-test-runc-"));
    const runcId = `${id}-runc`;
    const runcBundle = fx.bundle(runcId, "exec sleep 1000", (config) => {
      config.linux.resources.memory = { limit: 64 * MiB };
      // Without a path, runc nests each cgroup under the caller's own.
      config.linux.cgroupsPath = `/${runcId}`;
    });
    try {
      // The container inherits runc's stdio, so a pipe would keep spawnSync waiting.
      const run = spawnSync("runc", ["--root", runcRoot, "run", "-d", "--bundle", runcBundle.dir, runcId], { stdio: "ignore", timeout: 30_000 });
      expect(run.status).toBe(0);
      const theirs = JSON.parse(spawnSync("runc", ["--root", runcRoot, "events", "--stats", runcId], { encoding: "utf8", timeout: 30_000 }).stdout);

      // runc omits zero values (Go's omitempty) and prints sections that ns
      // does not report (cpuset, intel_rdt, network_interfaces), so every
      // field of runc's that ns reports must have the same name and type.
      const skipped = new Set(["cpuset", "intel_rdt", "network_interfaces"]);
      expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
      for (const path of leafPaths(theirs.data)) {
        if (skipped.has(path.split(".")[0]!)) continue;
        expect({ path, type: typeof valueAt(ours.data, path) }).toEqual({ path, type: typeof valueAt(theirs.data, path) });
      }
      expect(ours.data.memory.usage.limit).toBe(theirs.data.memory.usage.limit);
    } finally {
      spawnSync("runc", ["--root", runcRoot, "delete", "--force", runcId], { stdio: "ignore", timeout: 30_000 });
      rmSync(runcRoot, { recursive: true, force: true });
    }
    expect(readdirSync(CGROUP_ROOT).filter((hierarchy) => existsSync(join(CGROUP_ROOT, hierarchy, runcId)))).toEqual([]);
    fx.cleanUp(id);
  });

  test("events of a stopped container fails in one line", () => {
    const id = fx.newId("events-stopped");
    fx.runDetached(id, "exit 0");
    waitForStatus(fx.root, id, "stopped");
    const r = fx.ns(["events", "--stats", id]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, `container "${id}"`, "stopped");
    fx.cleanUp(id);
  });

  test("events exits when the container stops", async () => {
    const id = fx.newId("events-exit");
    const shared = fx.newSharedDir();
    fx.runDetached(id, "while [ ! -e /shared/stop ]; do sleep 0.02; done", (config) => sharing(config, shared));
    const events = new EventsProcess(fx.root, ["--interval", "100ms", id]);
    await events.waitForEvent("stats");
    writeFileSync(join(shared, "stop"), "");
    expect(await events.finish()).toBe(0);
    expect(events.events().every((event) => event.type === "stats" && event.id === id)).toBe(true);
    fx.cleanUp(id);
  });

  test("events rejects a bad interval", () => {
    const r = fx.ns(["events", "--interval", "soon", "no-such-container"]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, "--interval", '"soon"');
  });
});

describe("pids limit", () => {
  test.skipIf(missing(!hasV1("pids"), "the cgroup v1 pids controller"))("fork fails at pids.limit inside the container", () => {
    const id = fx.newId("pids");
    // The inner shell forks sleeps until the kernel refuses. The outer shell
    // reads the counters with `read`, because a fork would fail too.
    const script = [
      'sh -c "while :; do sleep 30 & echo started; done"',
      "echo exit=$?",
      "read current < /sys/fs/cgroup/pids/pids.current; echo current=$current",
      "read max < /sys/fs/cgroup/pids/pids.max; echo max=$max",
    ].join("; ");
    const r = runScript(fx.root, id, script, { edit: (config) => (config.linux.resources.pids = { limit: 10 }) });
    expect(r.stderr).toContain("can't fork: Resource temporarily unavailable");
    const lines = r.stdout.trim().split("\n");
    // Ten tasks: the two shells and eight sleeps.
    expect(lines.filter((line) => line === "started")).toHaveLength(8);
    expect(lines).toContain("exit=2");
    expect(lines).toContain("current=9");
    expect(lines).toContain("max=10");
    expect(r.code).toBe(0);
    expect(spawnSync("/bin/true").status).toBe(0);
    expectNothingLeft(fx.root, id);
  });
});

describe("cpu", () => {
  test.skipIf(missing(!hasV1("cpu"), "the cgroup v1 cpu controller"))("cpu quota throttles a busy loop", () => {
    const id = fx.newId("cpu");
    fx.runDetached(id, "while :; do :; done", (config) => (config.linux.resources.cpu = { quota: 10_000, period: 100_000 }));
    expect(cgroupFile("cpu", id, "cpu.cfs_quota_us")).toBe("10000");
    expect(cgroupFile("cpu", id, "cpu.cfs_period_us")).toBe("100000");

    let stats = { periods: 0, throttledPeriods: 0, throttledTime: 0 };
    const throttledSome = () => (stats = JSON.parse(fx.ns(["events", "--stats", id]).stdout).data.cpu.throttling).throttledPeriods >= 3;
    expect(waitUntil(throttledSome, 10_000)).toBe(true);
    expect(stats.throttledTime).toBeGreaterThan(0);
    const cpuStat = cgroupFile("cpu", id, "cpu.stat");
    expect(Number(/^nr_throttled (\d+)$/m.exec(cpuStat)![1])).toBeGreaterThanOrEqual(stats.throttledPeriods);

    // 10% of one CPU: over 300 ms of wall time the loop gets about 30 ms.
    if (hasV1("cpuacct")) {
      const before = Number(cgroupFile("cpuacct", id, "cpuacct.usage"));
      Bun.sleepSync(300);
      const used = Number(cgroupFile("cpuacct", id, "cpuacct.usage")) - before;
      expect(used).toBeLessThan(150_000_000);
    }
    fx.cleanUp(id);
  });
});

describe("devices", () => {
  const tun = { path: "/dev/net/tun", type: "c", major: 10, minor: 200, fileMode: 0o666, uid: 0, gid: 0 };
  const hasTun = existsSync("/dev/net/tun");

  test.skipIf(missing(!hasV1("devices") || !hasTun, "the cgroup v1 devices controller and /dev/net/tun"))("a device without an allow rule cannot be opened", () => {
    const id = fx.newId("devices-deny");
    // A failed redirection would end the shell, so cat opens the device.
    const r = runScript(fx.root, id, "cat /dev/net/tun; echo tun=$?; echo x > /dev/null; echo null=$?", {
      edit: (config) => (config.linux.devices = [tun]),
    });
    expect(r.stderr).toBe("cat: can't open '/dev/net/tun': Operation not permitted\n");
    expect(r.stdout).toBe("tun=1\nnull=0\n");
    expectNothingLeft(fx.root, id);
  });

  test.skipIf(missing(!hasV1("devices") || !hasTun, "the cgroup v1 devices controller and /dev/net/tun"))("an allow rule opens the device", () => {
    const id = fx.newId("devices-allow");
    const r = runScript(fx.root, id, ": < /dev/net/tun; echo tun=$?; grep '^c 10:200 ' /sys/fs/cgroup/devices/devices.list", {
      edit: (config) => {
        config.linux.devices = [tun];
        config.linux.resources.devices.push({ allow: true, type: "c", major: 10, minor: 200, access: "rw" });
      },
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("tun=0\nc 10:200 rw\n");
    expectNothingLeft(fx.root, id);
  });

  // As in runc 1.1, the devices that every container gets are allowed after
  // the config's rules, so a rule cannot deny /dev/zero or /dev/null.
  test.skipIf(missing(!hasV1("devices"), "the cgroup v1 devices controller"))("default devices stay open despite a deny rule", () => {
    const id = fx.newId("devices-default");
    const r = runScript(fx.root, id, "head -c1 /dev/zero | wc -c; echo x > /dev/null; echo null=$?", {
      edit: (config) => config.linux.resources.devices.push({ allow: false, type: "c", major: 1, minor: 5, access: "rwm" }),
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("1\nnull=0\n");
    expectNothingLeft(fx.root, id);
  });
});

/** Lists the dotted paths of the leaves of a JSON object. Arrays count as leaves. */
function leafPaths(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => leafPaths(child, prefix === "" ? key : `${prefix}.${key}`));
}

function valueAt(value: any, path: string): unknown {
  return path.split(".").reduce((node, key) => (node === undefined || node === null ? undefined : node[key]), value);
}
