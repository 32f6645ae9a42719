// The OCI lifecycle through the CLI: create, start, state, kill, delete,
// list, ps and run -d, each state transition, bad input, concurrent
// commands on one container, and the sequence an OCI client such as
// containerd runs.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawn } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeBundle, NS, type Bundle } from "../helpers/bundle.ts";
import { leftovers, makeStateRoot, removeStateRoot } from "../helpers/ns.ts";
import { isOneLineError, nsCall, processAlive, stateOf, waitForStatus, waitUntil, type NsOutput } from "./lifecycle-helpers.ts";

// Each test starts several containers; on a loaded 2-core machine that can take many seconds.
setDefaultTimeout(60_000);

let root: string;
const bundles: Bundle[] = [];
let counter = 0;

function newId(name: string): string {
  return `lifecycle-${process.pid}-${++counter}-${name}`;
}

function bundleWith(args: string[], edit?: (config: any) => void): Bundle {
  const bundle = makeBundle((config) => {
    config.process.args = args;
    config.root.readonly = false;
    edit?.(config);
  });
  bundles.push(bundle);
  return bundle;
}

function ns(args: string[], options: Parameters<typeof nsCall>[2] = {}): NsOutput {
  return nsCall(root, args, options);
}

/** Deletes the container whatever its state and checks that nothing is left. */
function cleanUp(id: string): void {
  ns(["delete", "--force", id]);
  expect(leftovers(root, id)).toEqual([]);
}

beforeAll(() => {
  root = makeStateRoot();
  // As ns makes /run/ns: a container's root user in a user namespace must be able to pass through.
  chmodSync(root, 0o711);
});

afterAll(() => {
  for (const id of readdirSync(root)) if (!id.startsWith(".")) nsCall(root, ["delete", "--force", id]);
  for (const bundle of bundles) bundle.remove();
  removeStateRoot(root);
});

describe("create and start", () => {
  test("create leaves the process waiting, start runs it", () => {
    const bundle = bundleWith(["sh", "-c", "echo ran > /tmp/marker; exec sleep 1000"], (c) => {
      c.annotations = { "org.example.key": "value" };
    });
    const id = newId("create");
    const pidFile = join(bundle.dir, "pid");
    const created = ns(["create", "--bundle", bundle.dir, "--pid-file", pidFile, id]);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);

    const state = stateOf(root, id);
    expect(state.ociVersion).toMatch(/^1\.\d+\.\d+/);
    expect(state.id).toBe(id);
    expect(state.status).toBe("created");
    expect(state.bundle).toBe(bundle.dir);
    expect(state.annotations).toEqual({ "org.example.key": "value" });
    expect(state.pid).toBe(Number(readFileSync(pidFile, "utf8")));
    expect(processAlive(state.pid)).toBe(true);
    expect(existsSync(join(bundle.rootfs, "tmp/marker"))).toBe(false);

    expect(ns(["start", id]).code).toBe(0);
    expect(waitUntil(() => existsSync(join(bundle.rootfs, "tmp/marker")))).toBe(true);
    const running = stateOf(root, id);
    expect(running.status).toBe("running");
    expect(running.pid).toBe(state.pid);
    cleanUp(id);
  });

  test("create reads config.json from the current directory without --bundle", () => {
    const bundle = bundleWith(["sleep", "1000"]);
    const id = newId("cwd");
    expect(ns(["create", id], { cwd: bundle.dir }).code).toBe(0);
    expect(stateOf(root, id).bundle).toBe(bundle.dir);
    cleanUp(id);
  });

  test("create rejects an id in use and leaves the first container alone", () => {
    const bundle = bundleWith(["sleep", "1000"]);
    const id = newId("taken");
    expect(ns(["create", "--bundle", bundle.dir, id]).code).toBe(0);
    const before = stateOf(root, id);
    const again = ns(["create", "--bundle", bundle.dir, id]);
    expect(isOneLineError(again)).toBe(true);
    expect(again.stderr).toContain(`container "${id}" already exists`);
    expect(stateOf(root, id)).toEqual(before);
    expect(ns(["start", id]).code).toBe(0);
    expect(stateOf(root, id).status).toBe("running");
    cleanUp(id);
  });

  test("start on a running container fails and changes nothing", () => {
    const bundle = bundleWith(["sleep", "1000"]);
    const id = newId("start-twice");
    expect(ns(["run", "-d", "--bundle", bundle.dir, id]).code).toBe(0);
    const r = ns(["start", id]);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toContain("it is running, not created");
    expect(stateOf(root, id).status).toBe("running");
    cleanUp(id);
  });

  test("start on a stopped container fails without running the process again", () => {
    const bundle = bundleWith(["sh", "-c", "echo ran >> /tmp/runs"]);
    const id = newId("start-stopped");
    expect(ns(["create", "--bundle", bundle.dir, id]).code).toBe(0);
    expect(ns(["start", id]).code).toBe(0);
    waitForStatus(root, id, "stopped");
    const r = ns(["start", id]);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toContain("it is stopped, not created");
    expect(readFileSync(join(bundle.rootfs, "tmp/runs"), "utf8")).toBe("ran\n");
    cleanUp(id);
  });

  test("run -d starts the container and returns at once", () => {
    const bundle = bundleWith(["sleep", "1000"]);
    const id = newId("run-d");
    const pidFile = join(bundle.dir, "pid");
    const r = ns(["run", "-d", "--pid-file", pidFile, "--bundle", bundle.dir, id]);
    expect(r.code).toBe(0);
    const state = stateOf(root, id);
    expect(state.status).toBe("running");
    expect(state.pid).toBe(Number(readFileSync(pidFile, "utf8")));
    cleanUp(id);
  });

  test("create with --preserve-fds passes fd 3 to the process", () => {
    const bundle = bundleWith(["sh", "-c", "echo through-fd-3 >&3"]);
    const id = newId("preserve");
    const file = join(bundle.dir, "fd3-output");
    const fd = openSync(file, "w");
    try {
      expect(ns(["create", "--preserve-fds", "1", "--bundle", bundle.dir, id], { extraFds: [fd] }).code).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(ns(["start", id]).code).toBe(0);
    waitForStatus(root, id, "stopped");
    expect(readFileSync(file, "utf8")).toBe("through-fd-3\n");
    cleanUp(id);
  });

  test("create with --no-pivot runs the process in the rootfs", () => {
    const bundle = bundleWith(["sh", "-c", "ls / > /tmp/root-listing"]);
    const id = newId("no-pivot");
    expect(ns(["create", "--no-pivot", "--bundle", bundle.dir, id]).code).toBe(0);
    expect(ns(["start", id]).code).toBe(0);
    waitForStatus(root, id, "stopped");
    expect(readFileSync(join(bundle.rootfs, "tmp/root-listing"), "utf8").split("\n")).toContain("bin");
    cleanUp(id);
  });

  test("create and start work with a user namespace", () => {
    const bundle = bundleWith(["sh", "-c", "cat /proc/self/uid_map > /tmp/uid_map"], (c) => {
      c.linux.namespaces.push({ type: "user" });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    // The container's root is host uid 100000, which must be able to reach the rootfs.
    chmodSync(bundle.dir, 0o755);
    const id = newId("userns");
    const created = ns(["create", "--bundle", bundle.dir, id]);
    expect(created.stderr).toBe("");
    expect(stateOf(root, id).status).toBe("created");
    const started = ns(["start", id]);
    expect(started.stderr).toBe("");
    waitForStatus(root, id, "stopped");
    expect(readFileSync(join(bundle.rootfs, "tmp/uid_map"), "utf8").trim().split(/\s+/)).toEqual(["0", "100000", "65536"]);
    cleanUp(id);
  });
});

describe("kill", () => {
  function trapBundle(): Bundle {
    // The shell is pid 1, which gets only the signals it has handlers for.
    // /tmp/ready shows the test that the traps are set, because a signal sent before that is lost.
    return bundleWith(["sh", "-c", "trap 'echo TERM > /tmp/got; exit 3' TERM; trap 'echo USR1 > /tmp/got; exit 4' USR1; touch /tmp/ready; while :; do sleep 0.05; done"]);
  }

  function runTrapped(bundle: Bundle, id: string): void {
    expect(ns(["run", "-d", "--bundle", bundle.dir, id]).code).toBe(0);
    expect(waitUntil(() => existsSync(join(bundle.rootfs, "tmp/ready")))).toBe(true);
  }

  test("kill sends SIGTERM by default", () => {
    const bundle = trapBundle();
    const id = newId("kill-default");
    runTrapped(bundle, id);
    expect(ns(["kill", id]).code).toBe(0);
    waitForStatus(root, id, "stopped");
    expect(readFileSync(join(bundle.rootfs, "tmp/got"), "utf8")).toBe("TERM\n");
    cleanUp(id);
  });

  test.each([["SIGUSR1"], ["USR1"], ["usr1"], ["10"]])("kill accepts the signal as %p", (signal) => {
    const bundle = trapBundle();
    const id = newId("kill-name");
    runTrapped(bundle, id);
    expect(ns(["kill", id, signal]).code).toBe(0);
    waitForStatus(root, id, "stopped");
    expect(readFileSync(join(bundle.rootfs, "tmp/got"), "utf8")).toBe("USR1\n");
    cleanUp(id);
  });

  test("kill of a created container stops it before its process runs", () => {
    const bundle = bundleWith(["sh", "-c", "echo ran > /tmp/marker"]);
    const id = newId("kill-created");
    expect(ns(["create", "--bundle", bundle.dir, id]).code).toBe(0);
    expect(ns(["kill", id, "KILL"]).code).toBe(0);
    waitForStatus(root, id, "stopped");
    expect(existsSync(join(bundle.rootfs, "tmp/marker"))).toBe(false);
    cleanUp(id);
  });

  test("kill --all signals every process in the container", () => {
    const bundle = bundleWith(["sh", "-c", "sleep 1000 & sleep 1000 & wait"]);
    const id = newId("kill-all");
    expect(ns(["run", "-d", "--bundle", bundle.dir, id]).code).toBe(0);
    let pids: number[] = [];
    expect(waitUntil(() => (pids = JSON.parse(ns(["ps", "--format", "json", id]).stdout)).length === 3)).toBe(true);
    expect(ns(["kill", "--all", id, "KILL"]).code).toBe(0);
    expect(waitUntil(() => pids.every((pid) => !processAlive(pid)))).toBe(true);
    waitForStatus(root, id, "stopped");
    cleanUp(id);
  });

  test("kill rejects an unknown signal and leaves the container running", () => {
    const bundle = bundleWith(["sleep", "1000"]);
    const id = newId("kill-bad");
    expect(ns(["run", "-d", "--bundle", bundle.dir, id]).code).toBe(0);
    for (const signal of ["SIGFOO", "65", "KILL9"]) {
      const r = ns(["kill", id, signal]);
      expect(isOneLineError(r)).toBe(true);
      expect(r.stderr).toContain(`invalid signal "${signal}"`);
    }
    // Signal 0 only checks that the process exists, as with kill(1) and runc.
    expect(ns(["kill", id, "0"]).code).toBe(0);
    expect(stateOf(root, id).status).toBe("running");
    cleanUp(id);
  });

  test("kill of a stopped container fails", () => {
    const bundle = bundleWith(["true"]);
    const id = newId("kill-stopped");
    expect(ns(["run", "-d", "--bundle", bundle.dir, id]).code).toBe(0);
    waitForStatus(root, id, "stopped");
    const r = ns(["kill", id, "KILL"]);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toContain("it is stopped");
    cleanUp(id);
  });
});

describe("delete", () => {
  test("delete rejects a running container and leaves it running", () => {
    const bundle = bundleWith(["sleep", "1000"]);
    const id = newId("delete-running");
    expect(ns(["run", "-d", "--bundle", bundle.dir, id]).code).toBe(0);
    const r = ns(["delete", id]);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toContain("it is running, not stopped");
    const state = stateOf(root, id);
    expect(state.status).toBe("running");
    expect(processAlive(state.pid)).toBe(true);
    cleanUp(id);
  });

  test("delete rejects a created container", () => {
    const bundle = bundleWith(["sleep", "1000"]);
    const id = newId("delete-created");
    expect(ns(["create", "--bundle", bundle.dir, id]).code).toBe(0);
    const r = ns(["delete", id]);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toContain("it is created, not stopped");
    expect(stateOf(root, id).status).toBe("created");
    cleanUp(id);
  });

  test("delete --force kills a running container and removes everything", () => {
    const bundle = bundleWith(["sh", "-c", "sleep 1000 & exec sleep 1000"]);
    const id = newId("delete-force");
    expect(ns(["run", "-d", "--bundle", bundle.dir, id]).code).toBe(0);
    let pids: number[] = [];
    expect(waitUntil(() => (pids = JSON.parse(ns(["ps", "--format", "json", id]).stdout)).length === 2)).toBe(true);
    expect(ns(["delete", "--force", id]).code).toBe(0);
    expect(pids.filter(processAlive)).toEqual([]);
    expect(leftovers(root, id)).toEqual([]);
    const gone = ns(["state", id]);
    expect(isOneLineError(gone)).toBe(true);
    expect(gone.stderr).toContain(`container "${id}" does not exist`);
  });

  test("delete --force of a missing container succeeds", () => {
    expect(ns(["delete", "--force", newId("never")]).code).toBe(0);
  });

  test("delete removes a stopped container and its cgroup", () => {
    const bundle = bundleWith(["true"]);
    const id = newId("delete-stopped");
    expect(ns(["run", "-d", "--bundle", bundle.dir, id]).code).toBe(0);
    waitForStatus(root, id, "stopped");
    const r = ns(["delete", id]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  test("delete removes a directory left by a create that died before writing state", () => {
    // A create killed at the wrong moment leaves a state directory without
    // state.json and without a lock holder. This test makes one by hand.
    const id = newId("stale-dir");
    mkdirSync(join(root, id));
    const state = stateOf(root, id);
    expect(state.status).toBe("stopped");
    expect(state.pid).toBe(0);
    expect(ns(["delete", id]).code).toBe(0);
    expect(existsSync(join(root, id))).toBe(false);
  });
});

describe("state, list and ps", () => {
  test("state, kill, start and delete reject an unknown id in one line", () => {
    const id = newId("unknown");
    for (const args of [["state", id], ["kill", id], ["start", id], ["delete", id], ["ps", id], ["exec", id, "true"]]) {
      const r = ns(args);
      expect(isOneLineError(r)).toBe(true);
      expect(r.stderr).toBe(`ns: container "${id}" does not exist\n`);
    }
  });

  test.each([["a/b"], [".."], ["../escape"], ["."], ["with space"]])("commands reject the id %p without touching the filesystem", (id) => {
    const bundle = bundleWith(["true"]);
    for (const args of [["create", "--bundle", bundle.dir, id], ["state", id], ["kill", id], ["delete", "--force", id], ["start", id]]) {
      const r = ns(args);
      expect(isOneLineError(r)).toBe(true);
      expect(r.stderr).toContain(`invalid container id "${id}"`);
    }
    expect(existsSync(join(root, "..", "escape"))).toBe(false);
  });

  test("list prints a table, JSON and ids", () => {
    const bundle = bundleWith(["sleep", "1000"]);
    const id = newId("list");
    expect(ns(["run", "-d", "--bundle", bundle.dir, id]).code).toBe(0);
    const pid = stateOf(root, id).pid;

    const table = ns(["list"]).stdout.split("\n");
    expect(table[0]!.split(/\s+/)).toEqual(["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]);
    const row = table.find((line) => line.startsWith(`${id} `))!.split(/\s+/);
    expect(row.slice(0, 4)).toEqual([id, String(pid), "running", bundle.dir]);

    const json = JSON.parse(ns(["list", "--format", "json"]).stdout) as { id: string; status: string; pid: number }[];
    expect(json.find((s) => s.id === id)).toMatchObject({ id, status: "running", pid });

    expect(ns(["list", "--quiet"]).stdout.split("\n")).toContain(id);
    const bad = ns(["list", "--format", "yaml"]);
    expect(isOneLineError(bad)).toBe(true);
    expect(bad.stderr).toContain('expected table or json, got "yaml"');
    cleanUp(id);
  });

  test("ps lists the container's processes by host pid", () => {
    const bundle = bundleWith(["sh", "-c", "sleep 1000 & exec sleep 999"]);
    const id = newId("ps");
    expect(ns(["run", "-d", "--bundle", bundle.dir, id]).code).toBe(0);
    const pid = stateOf(root, id).pid;
    let pids: number[] = [];
    expect(waitUntil(() => (pids = JSON.parse(ns(["ps", "--format", "json", id]).stdout)).length === 2)).toBe(true);
    expect(pids).toContain(pid);

    const table = ns(["ps", id]).stdout.trim().split("\n");
    expect(table[0]).toMatch(/\bPID\b/);
    expect(table.some((line) => line.includes("sleep 999"))).toBe(true);
    expect(table.some((line) => line.includes("sleep 1000"))).toBe(true);
    cleanUp(id);
  });

  test("ps of a stopped container fails", () => {
    const bundle = bundleWith(["true"]);
    const id = newId("ps-stopped");
    expect(ns(["run", "-d", "--bundle", bundle.dir, id]).code).toBe(0);
    waitForStatus(root, id, "stopped");
    expect(isOneLineError(ns(["ps", id]))).toBe(true);
    cleanUp(id);
  });
});

describe("pid reuse", () => {
  // A reused pid cannot be caused on demand: the kernel hands pids out in
  // order. This rewrites the record of a real container so that its pid
  // names an unrelated live process (a sleep of this test's own) with
  // another start time, which is what a reused pid looks like to ns.
  test("reused pid reads as stopped and is never signalled", () => {
    const bundle = bundleWith(["sleep", "1000"]);
    const id = newId("pid-reuse");
    expect(ns(["run", "-d", "--bundle", bundle.dir, id]).code).toBe(0);
    const real = stateOf(root, id).pid;
    ns(["kill", id, "KILL"]);
    waitForStatus(root, id, "stopped");
    expect(processAlive(real)).toBe(false);

    const bystander = spawn("sleep", ["1000"], { stdio: "ignore" });
    try {
      const file = join(root, id, "state.json");
      const record = JSON.parse(readFileSync(file, "utf8"));
      record.pid = bystander.pid;
      writeFileSync(file, JSON.stringify(record));

      expect(stateOf(root, id)).toMatchObject({ status: "stopped", pid: 0 });
      expect(isOneLineError(ns(["kill", id, "KILL"]))).toBe(true);
      expect(isOneLineError(ns(["exec", id, "true"]))).toBe(true);
      expect(ns(["delete", id]).code).toBe(0);
      expect(processAlive(bystander.pid!)).toBe(true);
      expect(leftovers(root, id)).toEqual([]);
    } finally {
      bystander.kill("SIGKILL");
    }
  });
});

describe("concurrent commands", () => {
  test("concurrent kill, state and delete leave it deleted", async () => {
    const bundle = bundleWith(["sleep", "1000"]);
    const id = newId("concurrent");
    expect(ns(["run", "-d", "--bundle", bundle.dir, id]).code).toBe(0);
    const pid = stateOf(root, id).pid;

    const commands = [
      ["state", id], ["kill", id, "KILL"], ["state", id], ["delete", "--force", id],
      ["state", id], ["kill", id, "KILL"], ["delete", "--force", id], ["state", id], ["list", "--format", "json"],
    ];
    const results = await Promise.all(commands.map((args) => runAsync(["--root", root, ...args])));
    results.forEach((r, i) => {
      const args = commands[i]!;
      // Each command either did its work or failed in one line; none crashed.
      expect({ args, stderr: r.stderr.includes("    at ") }).toEqual({ args, stderr: false });
      if (args[0] === "state" && r.code === 0) expect(JSON.parse(r.stdout).id).toBe(id);
      if (args[0] === "list") expect(r.code).toBe(0);
      if (r.code !== 0) expect(r.stderr.trim().split("\n")).toHaveLength(1);
    });
    expect(results[3]!.code).toBe(0);
    expect(results[6]!.code).toBe(0);
    expect(processAlive(pid)).toBe(false);
    expect(leftovers(root, id)).toEqual([]);
  });
});

describe("OCI client", () => {
  test("create, start, state, kill and delete as containerd calls them", () => {
    const bundle = bundleWith(["sleep", "1000"]);
    const id = newId("client");
    const logFile = join(bundle.dir, "log.json");
    const pidFile = join(bundle.dir, "init.pid");
    const globals = ["--log", logFile, "--log-format", "json"];

    expect(ns(["create", "--bundle", bundle.dir, "--pid-file", pidFile, id], { globals }).code).toBe(0);
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(stateOf(root, id)).toMatchObject({ status: "created", pid });
    expect(ns(["start", id], { globals }).code).toBe(0);
    expect(stateOf(root, id)).toMatchObject({ status: "running", pid });
    expect(ns(["kill", id, "9"], { globals }).code).toBe(0);
    waitForStatus(root, id, "stopped");
    expect(ns(["delete", id], { globals }).code).toBe(0);
    expect(leftovers(root, id)).toEqual([]);

    // An error goes to the log as JSON, and to stderr for a person to see.
    const failed = ns(["kill", id, "9"], { globals });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain("does not exist");
    const lines = readFileSync(logFile, "utf8").trim().split("\n");
    const last = JSON.parse(lines.at(-1)!);
    expect(last).toMatchObject({ level: "error", msg: `container "${id}" does not exist` });
    expect(Date.parse(last.time)).not.toBeNaN();
  });

  test("delete --force as runc's clients call it after a failed start", () => {
    const bundle = bundleWith(["sleep", "1000"]);
    const id = newId("client-force");
    expect(ns(["create", "--bundle", bundle.dir, id]).code).toBe(0);
    expect(ns(["delete", "--force", id]).code).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  test("--systemd-cgroup is accepted with a warning", () => {
    const bundle = bundleWith(["true"]);
    const id = newId("systemd");
    const r = ns(["run", "--bundle", bundle.dir, id], { globals: ["--systemd-cgroup"] });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("--systemd-cgroup");
    expect(leftovers(root, id)).toEqual([]);
  });

  test("--debug logs the steps of create", () => {
    const bundle = bundleWith(["sleep", "1000"]);
    const id = newId("debug");
    const r = ns(["create", "--bundle", bundle.dir, id], { globals: ["--debug"] });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("debug: step");
    cleanUp(id);
  });

  test("--log-format rejects an unknown format", () => {
    const r = ns(["list"], { globals: ["--log-format", "xml"] });
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toContain('expected text or json, got "xml"');
  });

  test("features prints the OCI features document", () => {
    const r = ns(["features"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.ociVersionMin).toBe("1.0.0");
    expect(doc.ociVersionMax).toMatch(/^1\.\d+\.\d+$/);
    expect(doc.hooks).toEqual(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]);
    expect(doc.mountOptions).toContain("rbind");
    expect(doc.linux.namespaces).toEqual(expect.arrayContaining(["cgroup", "ipc", "mount", "network", "pid", "user", "uts"]));
    expect(doc.linux.capabilities).toContain("CAP_SYS_ADMIN");
    expect(typeof doc.linux.cgroup.v1).toBe("boolean");
  });
});

function runAsync(args: string[]): Promise<NsOutput> {
  const dir = mkdtempSync(join(tmpdir(), "ns-test-out-"));
  const out = openSync(join(dir, "stdout"), "w+");
  const err = openSync(join(dir, "stderr"), "w+");
  return new Promise((resolve) => {
    const child = spawn(NS, args, { stdio: ["ignore", out, err] });
    child.on("exit", (code) => {
      closeSync(out);
      closeSync(err);
      const result = { code: code ?? 1, stdout: readFileSync(join(dir, "stdout"), "utf8"), stderr: readFileSync(join(dir, "stderr"), "utf8") };
      rmSync(dir, { recursive: true, force: true });
      resolve(result);
    });
  });
}
