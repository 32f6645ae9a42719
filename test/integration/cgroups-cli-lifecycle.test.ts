// The cgroup of a live container through the CLI: pause and resume, update
// of its limits, ps, the cgroup of an exec'd process, and the removal of the
// cgroup with stray processes at the end of run and at delete.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeStateRoot, ns, removeStateRoot } from "../helpers/ns.ts";
import { expectOneLineError, runInBackground, runScript, waitForPidFile } from "../helpers/run.ts";
import { CGROUP_ROOT, cgroupDir, cgroupFile, CliFixture, expectNothingLeft, hasV1, missing, sharing } from "./cgroups-cli-helpers.ts";
import { processAlive, stateOf, waitForStatus, waitUntil } from "./lifecycle-helpers.ts";

// Each test starts one or two containers; on a loaded 2-core machine that can take seconds.
setDefaultTimeout(60_000);

const MiB = 1024 * 1024;
let fx: CliFixture;

beforeAll(() => {
  fx = new CliFixture(makeStateRoot(), "cglife");
});

afterAll(() => {
  fx.removeAll();
  removeStateRoot(fx.root);
});

/** Starts a container that writes an increasing counter to /shared/count every 20 ms, and returns a reader of it. */
function startCounter(id: string): () => number {
  const shared = fx.newSharedDir();
  fx.runDetached(id, "i=0; while :; do i=$((i+1)); echo $i > /shared/count.tmp; mv /shared/count.tmp /shared/count; sleep 0.02; done", (config) =>
    sharing(config, shared),
  );
  const read = () => {
    try {
      return Number(readFileSync(join(shared, "count"), "utf8").trim());
    } catch {
      return 0;
    }
  };
  expect(waitUntil(() => read() > 2)).toBe(true);
  return read;
}

describe("pause and resume", () => {
  test.skipIf(missing(!hasV1("freezer"), "the cgroup v1 freezer controller"))("pause stops a counter and resume restarts it", () => {
    const id = fx.newId("pause");
    const count = startCounter(id);

    const paused = fx.ns(["pause", id]);
    expect(paused.stderr).toBe("");
    expect(paused.code).toBe(0);
    // pause returns once the kernel reports every task frozen.
    expect(cgroupFile("freezer", id, "freezer.state")).toBe("FROZEN");
    expect(stateOf(fx.root, id).status).toBe("paused");
    const frozenAt = count();
    Bun.sleepSync(200);
    expect(count()).toBe(frozenAt);

    const exec = fx.ns(["exec", id, "true"]);
    expect(exec.code).toBe(1);
    expectOneLineError(exec.stderr, `cannot exec in container "${id}": it is paused`);
    const again = fx.ns(["pause", id]);
    expect(again.code).toBe(1);
    expectOneLineError(again.stderr, `cannot pause container "${id}": it is paused`);

    const resumed = fx.ns(["resume", id]);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(cgroupFile("freezer", id, "freezer.state")).toBe("THAWED");
    expect(stateOf(fx.root, id).status).toBe("running");
    expect(waitUntil(() => count() > frozenAt + 2)).toBe(true);

    const resumedAgain = fx.ns(["resume", id]);
    expect(resumedAgain.code).toBe(1);
    expectOneLineError(resumedAgain.stderr, `cannot resume container "${id}": it is running, not paused`);
    fx.cleanUp(id);
  });

  test.skipIf(missing(!hasV1("freezer"), "the cgroup v1 freezer controller"))("a created container can be paused and resumed before start", () => {
    const id = fx.newId("pause-created");
    const shared = fx.newSharedDir();
    const bundle = fx.bundle(id, "echo started > /shared/out; sleep 1000", (config) => sharing(config, shared));
    expect(fx.ns(["create", "--bundle", bundle.dir, id]).code).toBe(0);

    expect(fx.ns(["pause", id]).code).toBe(0);
    expect(cgroupFile("freezer", id, "freezer.state")).toBe("FROZEN");
    const resumed = fx.ns(["resume", id]);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(cgroupFile("freezer", id, "freezer.state")).toBe("THAWED");

    expect(fx.ns(["start", id]).code).toBe(0);
    expect(waitUntil(() => existsSync(join(shared, "out")))).toBe(true);
    fx.cleanUp(id);
  });

  test.skipIf(missing(!hasV1("freezer"), "the cgroup v1 freezer controller"))("delete --force removes a paused created container", () => {
    const id = fx.newId("pause-created-delete");
    const bundle = fx.bundle(id, "sleep 1000");
    expect(fx.ns(["create", "--bundle", bundle.dir, id]).code).toBe(0);
    const pid = stateOf(fx.root, id).pid;
    expect(fx.ns(["pause", id]).code).toBe(0);

    // NOTE: delete waits 10 s for the frozen process before the cgroup
    // teardown thaws and kills it, because the container reports "created"
    // rather than "paused" and so is not thawed first.
    const deleted = fx.ns(["delete", "--force", id]);
    expect(deleted.code).toBe(0);
    expect(processAlive(pid)).toBe(false);
    expectNothingLeft(fx.root, id);
  });

  test.skipIf(missing(!hasV1("freezer"), "the cgroup v1 freezer controller"))("delete --force removes a paused container", () => {
    const id = fx.newId("pause-delete");
    startCounter(id);
    const pid = stateOf(fx.root, id).pid;
    expect(fx.ns(["pause", id]).code).toBe(0);

    const deleted = fx.ns(["delete", "--force", id]);
    expect(deleted.stderr).toBe("");
    expect(deleted.code).toBe(0);
    expect(processAlive(pid)).toBe(false);
    expectNothingLeft(fx.root, id);
  });

  test.skipIf(missing(!hasV1("freezer"), "the cgroup v1 freezer controller"))("delete --force removes a paused run in the foreground", async () => {
    const id = fx.newId("pause-run");
    const result = await runInBackground(fx.root, id, "sleep 1000", {}, () => {
      expect(fx.ns(["pause", id]).code).toBe(0);
      const deleted = fx.ns(["delete", "--force", id]);
      expect(deleted.code).toBe(0);
    });
    expect(result.code).toBe(137);
    expectNothingLeft(fx.root, id);
  });

  test("pause and resume of a stopped container fail", () => {
    const id = fx.newId("pause-stopped");
    fx.runDetached(id, "exit 0");
    waitForStatus(fx.root, id, "stopped");
    const paused = fx.ns(["pause", id]);
    expect(paused.code).toBe(1);
    expectOneLineError(paused.stderr, `cannot pause container "${id}": it is stopped`);
    const resumed = fx.ns(["resume", id]);
    expect(resumed.code).toBe(1);
    expectOneLineError(resumed.stderr, `cannot resume container "${id}": it is stopped, not paused`);
    fx.cleanUp(id);
  });
});

describe("update", () => {
  test.skipIf(missing(!hasV1("memory") || !hasV1("pids") || !hasV1("cpu"), "the cgroup v1 memory, pids and cpu controllers"))(
    "update changes live memory, pids and cpu limits",
    () => {
      const id = fx.newId("update");
      fx.runDetached(id, "exec sleep 1000", (config) => {
        config.linux.resources.memory = { limit: 32 * MiB };
        config.linux.resources.pids = { limit: 100 };
      });

      const r = fx.ns(["update", "--memory", "64m", "--pids-limit", "20", "--cpu-quota", "50000", "--cpu-period", "200000", id]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(cgroupFile("memory", id, "memory.limit_in_bytes")).toBe(String(64 * MiB));
      expect(cgroupFile("pids", id, "pids.max")).toBe("20");
      expect(cgroupFile("cpu", id, "cpu.cfs_quota_us")).toBe("50000");
      expect(cgroupFile("cpu", id, "cpu.cfs_period_us")).toBe("200000");

      // The container's own view of its cgroup, through its cgroup mount.
      const inside = fx.ns(["exec", id, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"]);
      expect(inside.stderr).toBe("");
      expect(inside.stdout).toBe(`${64 * MiB}\n20\n50000\n`);

      const stats = JSON.parse(fx.ns(["events", "--stats", id]).stdout).data;
      expect(stats.memory.usage.limit).toBe(64 * MiB);
      expect(stats.pids.limit).toBe(20);
      fx.cleanUp(id);
    },
  );

  test.skipIf(missing(!hasV1("memory") || !hasV1("pids") || !hasV1("cpu"), "the cgroup v1 memory, pids and cpu controllers"))(
    "update -r applies a resources file and stdin",
    () => {
      const id = fx.newId("update-file");
      fx.runDetached(id, "exec sleep 1000", (config) => (config.linux.resources.memory = { limit: 32 * MiB, swap: 32 * MiB }));
      const file = join(fx.newSharedDir(), "resources.json");
      writeFileSync(file, JSON.stringify({ memory: { limit: 96 * MiB, swap: 128 * MiB }, cpu: { shares: 512 }, pids: { limit: 30 } }));

      const r = fx.ns(["update", "-r", file, id]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(cgroupFile("memory", id, "memory.limit_in_bytes")).toBe(String(96 * MiB));
      expect(cgroupFile("memory", id, "memory.memsw.limit_in_bytes")).toBe(String(128 * MiB));
      expect(cgroupFile("cpu", id, "cpu.shares")).toBe("512");
      expect(cgroupFile("pids", id, "pids.max")).toBe("30");

      // ns update starts no process that could keep the pipes open, so the piped call that input needs returns.
      const stdin = ns(fx.root, ["update", "--resources", "-", id], { input: JSON.stringify({ pids: { limit: 31 } }) });
      expect(stdin.stderr).toBe("");
      expect(stdin.code).toBe(0);
      expect(cgroupFile("pids", id, "pids.max")).toBe("31");
      expect(cgroupFile("memory", id, "memory.limit_in_bytes")).toBe(String(96 * MiB));
      fx.cleanUp(id);
    },
  );

  test.skipIf(missing(!hasV1("cpu"), "the cgroup v1 cpu controller"))("update accepts runc's flag names", () => {
    const id = fx.newId("update-runc-flags");
    fx.runDetached(id, "exec sleep 1000");
    const r = fx.ns(["update", "--cpu-share", "256", id]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(cgroupFile("cpu", id, "cpu.shares")).toBe("256");
    expect(fx.ns(["update", "--cpu-shares", "300", id]).code).toBe(0);
    expect(cgroupFile("cpu", id, "cpu.shares")).toBe("300");

    const kernel = fx.ns(["update", "--kernel-memory", "64m", id]);
    expect(kernel.code).toBe(0);
    expect(kernel.stderr).toContain("--kernel-memory: kernel memory limits are ignored");
    const rdt = fx.ns(["update", "--l3-cache-schema", "L3:0=f", id]);
    expect(rdt.code).toBe(1);
    expectOneLineError(rdt.stderr, "--l3-cache-schema: Intel RDT is not supported");

    // An empty device list changes nothing, so it is accepted.
    const file = join(fx.newSharedDir(), "devices.json");
    writeFileSync(file, JSON.stringify({ devices: [], cpu: { shares: 400 } }));
    expect(fx.ns(["update", "-r", file, id]).code).toBe(0);
    expect(cgroupFile("cpu", id, "cpu.shares")).toBe("400");
    fx.cleanUp(id);
  });

  test("update of a stopped container fails", () => {
    const id = fx.newId("update-stopped");
    fx.runDetached(id, "exit 0");
    waitForStatus(fx.root, id, "stopped");
    const r = fx.ns(["update", "--memory", "64m", id]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, `cannot update container "${id}": it is stopped`);
    fx.cleanUp(id);
  });

  test.skipIf(missing(!hasV1("memory") || !hasV1("cpu") || !hasV1("cpuset"), "the cgroup v1 memory, cpu and cpuset controllers"))(
    "update rejects bad values naming the option or file",
    () => {
      const id = fx.newId("update-bad");
      fx.runDetached(id, "exec sleep 1000", (config) => (config.linux.resources.memory = { limit: 32 * MiB }));
      const dir = fx.newSharedDir();
      const write = (name: string, text: string) => {
        writeFileSync(join(dir, name), text);
        return join(dir, name);
      };
      const badType = write("bad-type.json", '{"memory": {"limit": "lots"}}');
      const badSyntax = write("bad-syntax.json", '{"memory": {"limit": ');
      const devices = write("devices.json", '{"devices": [{"allow": true, "access": "rwm"}]}');
      const badCpus = write("bad-cpus.json", '{"cpu": {"cpus": "99"}}');

      const cases: { args: string[]; code: number; parts: string[] }[] = [
        { args: ["--memory", "lots"], code: 2, parts: ["--memory", '"lots"'] },
        { args: ["--memory", "1k"], code: 1, parts: ["--memory 1k:", '"1024"', "memory.limit_in_bytes", "EBUSY"] },
        { args: ["--cpuset-cpus", "99"], code: 1, parts: ["--cpuset-cpus 99:", '"99"', "cpuset.cpus"] },
        { args: ["--cpu-quota", "10"], code: 1, parts: ["--cpu-quota 10:", '"10"', "cpu.cfs_quota_us", "EINVAL"] },
        { args: ["--pids-limit", "many"], code: 2, parts: ["--pids-limit", '"many"'] },
        { args: ["-r", badType], code: 1, parts: [badType, "linux.resources.memory.limit", '"lots"'] },
        { args: ["-r", badSyntax], code: 1, parts: [badSyntax, "line 1"] },
        { args: ["-r", join(dir, "missing.json")], code: 1, parts: ["missing.json", "ENOENT"] },
        { args: ["-r", devices], code: 1, parts: [devices, "linux.resources.devices"] },
        { args: ["-r", badCpus], code: 1, parts: [badCpus, "linux.resources.cpu.cpus", '"99"', "cpuset.cpus"] },
        { args: ["-r", badCpus, "--memory", "64m"], code: 2, parts: ["--resources", "--memory"] },
        { args: [], code: 2, parts: ["update:", "--resources"] },
      ];
      for (const { args, code, parts } of cases) {
        const r = fx.ns(["update", ...args, id]);
        expect({ args, code: r.code }).toEqual({ args, code });
        expectOneLineError(r.stderr, ...parts);
      }
      expect(cgroupFile("memory", id, "memory.limit_in_bytes")).toBe(String(32 * MiB));
      expect(cgroupFile("cpu", id, "cpu.cfs_quota_us")).toBe("-1");
      fx.cleanUp(id);
    },
  );
});

describe("ps", () => {
  test("ps lists every process of the container", () => {
    const id = fx.newId("ps");
    fx.runDetached(id, "sleep 1001 & sleep 1002 & sleep 1003 & exec sleep 1004");
    const list = () => JSON.parse(fx.ns(["ps", "--format", "json", id]).stdout) as number[];
    expect(waitUntil(() => list().length === 4)).toBe(true);
    const pid = stateOf(fx.root, id).pid;
    expect(list()).toContain(pid);
    if (hasV1("pids")) expect(list()).toEqual(readFileSync(join(cgroupDir("pids", id), "cgroup.procs"), "utf8").trim().split("\n").map(Number).sort((a, b) => a - b));

    const execPidFile = join(fx.newSharedDir(), "exec.pid");
    expect(fx.ns(["exec", "--detach", "--pid-file", execPidFile, id, "sleep", "1005"]).code).toBe(0);
    const execPid = Number(readFileSync(execPidFile, "utf8"));
    expect(list()).toContain(execPid);

    const table = fx.ns(["ps", id]);
    expect(table.stderr).toBe("");
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^UID\s+PID\s+PPID\b/);
    expect(lines).toHaveLength(6);
    for (const seconds of [1001, 1002, 1003, 1004, 1005]) expect(lines.filter((line) => line.endsWith(`sleep ${seconds}`))).toHaveLength(1);
    fx.cleanUp(id);
  });

  test("ps rejects an unknown format", () => {
    const r = fx.ns(["ps", "--format", "yaml", "no-such-container"]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, "--format", '"yaml"');
  });
});

describe("exec", () => {
  test("exec puts its process in the container's cgroup", () => {
    const id = fx.newId("exec");
    fx.runDetached(id, "exec sleep 1000");
    const containerCgroups = readFileSync(`/proc/${stateOf(fx.root, id).pid}/cgroup`, "utf8");

    const pidFile = join(fx.newSharedDir(), "exec.pid");
    expect(fx.ns(["exec", "--detach", "--pid-file", pidFile, id, "sleep", "999"]).code).toBe(0);
    const execCgroups = readFileSync(`/proc/${Number(readFileSync(pidFile, "utf8"))}/cgroup`, "utf8");
    expect(execCgroups).toBe(containerCgroups);
    for (const line of execCgroups.trim().split("\n")) expect(line).toEndWith(`:/ns/${id}`);

    // The same seen from inside: the container has no cgroup namespace here.
    const inside = fx.ns(["exec", id, "cat", "/proc/self/cgroup"]);
    expect(inside.stdout).toBe(containerCgroups);
    fx.cleanUp(id);
  });
});

describe("teardown", () => {
  const withoutPidNamespace = (config: any) => {
    config.linux.namespaces = config.linux.namespaces.filter((namespace: { type: string }) => namespace.type !== "pid");
  };

  test("run kills a stray process and removes the cgroup", () => {
    const id = fx.newId("run-stray");
    // Without a pid namespace, the kernel does not kill the sleep when the shell exits.
    const r = runScript(fx.root, id, "sleep 1000 & echo $!", { edit: withoutPidNamespace });
    expect(r.code).toBe(0);
    const stray = Number(r.stdout.trim());
    expect(stray).toBeGreaterThan(1);
    expect(processAlive(stray)).toBe(false);
    expectNothingLeft(fx.root, id);
  });

  test("delete --force kills every process and removes the cgroup", () => {
    const id = fx.newId("delete-stray");
    const shared = fx.newSharedDir();
    fx.runDetached(id, "sleep 1000 & echo $! > /shared/stray; exec sleep 999", (config) => {
      withoutPidNamespace(config);
      sharing(config, shared);
    });
    const strayFile = join(shared, "stray");
    expect(waitUntil(() => existsSync(strayFile) && readFileSync(strayFile, "utf8").endsWith("\n"))).toBe(true);
    const stray = Number(readFileSync(strayFile, "utf8"));
    const pid = stateOf(fx.root, id).pid;

    const deleted = fx.ns(["delete", "--force", id]);
    expect(deleted.stderr).toBe("");
    expect(deleted.code).toBe(0);
    expect(processAlive(pid)).toBe(false);
    expect(processAlive(stray)).toBe(false);
    expectNothingLeft(fx.root, id);
  });

  test("run removes the parents it made for cgroupsPath", () => {
    const id = fx.newId("cgroups-path");
    const parent = `cglife-${process.pid}-parent`;
    const shared = fx.newSharedDir();
    fx.runDetached(id, "sleep 1000 & echo ready > /shared/ready; wait", (config) => {
      config.linux.cgroupsPath = `/${parent}/${id}`;
      sharing(config, shared);
    });
    expect(waitUntil(() => existsSync(join(shared, "ready")))).toBe(true);
    const hierarchies = readdirSync(CGROUP_ROOT).filter((hierarchy) => existsSync(join(CGROUP_ROOT, hierarchy, parent, id)));
    expect(hierarchies.length).toBeGreaterThan(0);
    // The lifecycle commands find the cgroup from the paths in state.json.
    if (hasV1("freezer")) {
      expect(fx.ns(["pause", id]).code).toBe(0);
      expect(readFileSync(join(CGROUP_ROOT, "freezer", parent, id, "freezer.state"), "utf8").trim()).toBe("FROZEN");
      expect(fx.ns(["resume", id]).code).toBe(0);
    }
    if (hasV1("pids")) {
      expect(fx.ns(["update", "--pids-limit", "42", id]).code).toBe(0);
      expect(readFileSync(join(CGROUP_ROOT, "pids", parent, id, "pids.max"), "utf8").trim()).toBe("42");
    }
    expect(JSON.parse(fx.ns(["ps", "--format", "json", id]).stdout)).toHaveLength(2);

    fx.cleanUp(id);
    for (const hierarchy of hierarchies) expect(existsSync(join(CGROUP_ROOT, hierarchy, parent))).toBe(false);
  });

  test("delete of a stopped container kills the strays it left", async () => {
    const id = fx.newId("stopped-stray");
    const shared = fx.newSharedDir();
    const bundle = fx.bundle(id, "sleep 1000 & echo $! > /shared/stray", (config) => {
      withoutPidNamespace(config);
      sharing(config, shared);
    });
    expect(fx.ns(["run", "--detach", "--bundle", bundle.dir, id]).code).toBe(0);
    waitForStatus(fx.root, id, "stopped");
    const stray = await waitForPidFile(join(shared, "stray"));
    expect(processAlive(stray)).toBe(true);

    const deleted = fx.ns(["delete", id]);
    expect(deleted.stderr).toBe("");
    expect(deleted.code).toBe(0);
    expect(processAlive(stray)).toBe(false);
    expectNothingLeft(fx.root, id);
  });
});

describe("bad resources", () => {
  /** Runs a container whose config sets `resources`, and expects it to fail in one line with `parts` and leave nothing. */
  function expectRunFails(name: string, resources: Record<string, unknown>, ...parts: string[]): void {
    const id = fx.newId(name);
    const r = runScript(fx.root, id, "echo started", { edit: (config) => Object.assign(config.linux.resources, resources) });
    expect(r.stdout).toBe("");
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, ...parts);
    expectNothingLeft(fx.root, id);
  }

  test.skipIf(missing(hasV1("net_cls"), "a host without net_cls"))("a missing controller is named with what to mount", () => {
    expectRunFails("net-cls", { network: { classID: 0x100001 } }, "linux.resources.network.classID", "net_cls", "mount -t cgroup -o net_cls");
    expectRunFails("net-prio", { network: { priorities: [{ name: "lo", priority: 1 }] } }, "linux.resources.network.priorities", "net_prio");
  });

  test.skipIf(missing(!hasV1("cpuset"), "the cgroup v1 cpuset controller"))("a value the kernel rejects names the file and the value", () => {
    expectRunFails("cpuset", { cpu: { cpus: "99" } }, "linux.resources.cpu.cpus", '"99"', "cpuset.cpus");
  });

  test.skipIf(missing(!hasV1("memory") || !hasV1("cpu"), "the cgroup v1 memory and cpu controllers"))("a failure after other limits applied leaves no cgroup", () => {
    // The memory limit is written before the cpu quota, which the kernel rejects.
    expectRunFails("late-failure", { memory: { limit: 64 * MiB }, cpu: { quota: 10, period: 100_000 } }, "linux.resources.cpu.quota", "cpu.cfs_quota_us");
  });

  const unifiedHasHugetlb = () => {
    const control = "/sys/fs/cgroup/unified/cgroup.subtree_control";
    return existsSync(control) && readFileSync(control, "utf8").includes("hugetlb");
  };
  test.skipIf(missing(hasV1("hugetlb") || unifiedHasHugetlb(), "a hybrid host whose hugetlb controller is not delegated"))(
    "hugepageLimits name the controller to enable",
    () => {
      expectRunFails("hugetlb", { hugepageLimits: [{ pageSize: "2MB", limit: 2 * MiB }] }, "linux.resources.hugepageLimits", "hugetlb", "cgroup.subtree_control");
    },
  );
});
