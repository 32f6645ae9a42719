// Faults around a container's start-up: signals that arrive before the
// container's process runs, a launcher killed half-way, a pids limit smaller
// than the init stage's threads, and seccomp filters that stop execve.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeBundle, NS, type Bundle } from "../helpers/bundle.ts";
import { leftovers, makeStateRoot, ns, processLeftovers, removeStateRoot } from "../helpers/ns.ts";
import { expectClean, expectOneLineError, runScript } from "../helpers/run.ts";
import { forwardSignals, heldSignals, setForwardTarget } from "../../src/ffi/trampoline.ts";

const SIGUSR1 = 10;
const MEMORY_HIERARCHY = "/sys/fs/cgroup/memory";
/** The tests that make cgroup directories by hand use the v1 memory hierarchy. */
const hasMemoryV1 = existsSync(join(MEMORY_HIERARCHY, "tasks"));

setDefaultTimeout(60_000);

let root: string;
let counter = 0;
const bundles: Bundle[] = [];

function nextId(): string {
  return `startup-${process.pid}-${++counter}`;
}

function bundleWith(edit: (config: any) => void): Bundle {
  const bundle = makeBundle(edit);
  chmodSync(bundle.dir, 0o755);
  bundles.push(bundle);
  return bundle;
}

beforeAll(() => {
  root = makeStateRoot();
});

afterAll(() => {
  for (const bundle of bundles) bundle.remove();
  removeStateRoot(root);
});

describe("signals during start-up", () => {
  test("SIGTERM before the process runs stops the start-up", async () => {
    const id = nextId();
    // A hook that sleeps keeps the start-up going long enough to signal it.
    const bundle = bundleWith((c) => {
      c.process.args = ["sh", "-c", `echo started ${id}`];
      c.hooks = { createRuntime: [{ path: "/bin/sleep", args: ["sleep", "1"] }] };
    });
    const child = Bun.spawn([NS, "--root", root, "run", "--bundle", bundle.dir, id], { stdout: "pipe", stderr: "pipe" });
    await Bun.sleep(300);
    child.kill("SIGTERM");
    const code = await child.exited;
    const stdout = await new Response(child.stdout).text();
    const stderr = await new Response(child.stderr).text();
    expect(code).toBe(128 + 15);
    expect(stdout).toBe("");
    expectOneLineError(stderr, "interrupted by signal 15");
    expectClean(root, id);
  });

  test("a signal held during start-up reaches the process once it runs", async () => {
    // The trampoline's forwarder, in this test process: the launcher holds
    // signals this way until the container's process has executed.
    const child = Bun.spawn(["sleep", "30"]);
    forwardSignals(0, 1n << BigInt(SIGUSR1 - 1));
    try {
      process.kill(process.pid, "SIGUSR1");
      expect(heldSignals() & (1n << BigInt(SIGUSR1 - 1))).not.toBe(0n);
      expect(await Promise.race([child.exited.then(() => "exited"), Bun.sleep(200).then(() => "running")])).toBe("running");
      setForwardTarget(child.pid);
      expect(await child.exited).toBe(128 + SIGUSR1);
      expect(child.signalCode).toBe("SIGUSR1");
      expect(heldSignals()).toBe(0n);
    } finally {
      setForwardTarget(-1);
      child.kill("SIGKILL");
    }
  });
});

describe("a launcher killed during start-up", () => {
  test("leaves nothing that delete cannot remove", async () => {
    const bundle = bundleWith((c) => {
      c.process.args = ["sleep", "30"];
    });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const id = nextId();
      ids.push(id);
      const child = Bun.spawn([NS, "--root", root, "create", "--bundle", bundle.dir, id], { stdout: "ignore", stderr: "ignore" });
      await Bun.sleep(10 + 8 * i);
      child.kill("SIGKILL");
      await child.exited;
    }
    await Bun.sleep(500);
    for (const id of ids) {
      // Nothing of the container may wait for a launcher that is gone.
      const init = processLeftovers(id).length;
      const state = ns(root, ["state", id]);
      if (state.code === 0 && JSON.parse(state.stdout).status === "created") {
        // create finished before the kill: a real container, deleted below.
        expect(init).toBe(0);
      }
      ns(root, ["delete", "--force", id]);
      expect(ns(root, ["state", id]).code).not.toBe(0);
      // Cgroups made before the kill are known from the creation's notes.
      expect(leftovers(root, id)).toEqual([]);
    }
    expect(initStagesOf(ids)).toEqual([]);
  });

  test.skipIf(!hasMemoryV1)("delete removes empty pending cgroup", () => {
    // A launcher killed between its mkdir and its note of cgroupPaths leaves
    // only its earlier note of the directories it was about to make. The kill
    // cannot be timed into that window, so this test makes the state it
    // leaves: the state directory, the note, and an empty cgroup directory.
    const id = nextId();
    const cgroupDir = join(MEMORY_HIERARCHY, "ns", id);
    mkdirSync(join(root, id));
    const created = new Date().toISOString();
    writeFileSync(join(root, id, "progress.json"), JSON.stringify({ bundle: "/srv/bundle", created, cgroupPending: { memory: cgroupDir } }));
    mkdirSync(cgroupDir, { recursive: true });
    // The state of the dead creation names its bundle and creation time.
    const state = JSON.parse(ns(root, ["state", id]).stdout);
    expect(state).toMatchObject({ id, status: "stopped", pid: 0, bundle: "/srv/bundle", created });
    const r = ns(root, ["delete", id]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(existsSync(cgroupDir)).toBe(false);
    expect(leftovers(root, id)).toEqual([]);
  });

  test.skipIf(!hasMemoryV1)("delete spares populated pending cgroup", async () => {
    // As above, but a process is in the noted directory: the creator that
    // died did not make it, so delete neither kills nor removes anything there.
    const id = nextId();
    const cgroupDir = join(MEMORY_HIERARCHY, "ns", id);
    mkdirSync(join(root, id));
    writeFileSync(join(root, id, "progress.json"), JSON.stringify({ cgroupPending: { memory: cgroupDir } }));
    mkdirSync(cgroupDir, { recursive: true });
    const sleeper = Bun.spawn(["sleep", "30"]);
    try {
      writeFileSync(join(cgroupDir, "cgroup.procs"), String(sleeper.pid));
      const r = ns(root, ["delete", id]);
      expect(r.code).toBe(0);
      expect(existsSync(cgroupDir)).toBe(true);
      expect(sleeper.exitCode).toBeNull();
      expect(existsSync(join(root, id))).toBe(false);
    } finally {
      sleeper.kill("SIGKILL");
      await sleeper.exited;
      rmdirRetrying(cgroupDir);
    }
    expect(leftovers(root, id)).toEqual([]);
  });

  test("create removes abandoned temporary directories", async () => {
    // A creator killed between its mkdir and its rename leaves ROOT/.creating:ID:PID,
    // and a remover killed halfway leaves ROOT/.removing:ID:PID. The kill cannot be
    // timed into those windows, so this test makes the directories such deaths leave.
    const exited = Bun.spawn(["true"]);
    await exited.exited;
    const alive = Bun.spawn(["sleep", "30"]);
    const dead = [`.creating:${nextId()}:${exited.pid}`, `.removing:${nextId()}:${exited.pid}`];
    const live = `.creating:${nextId()}:${alive.pid}`;
    try {
      for (const name of [...dead, live]) mkdirSync(join(root, name));
      const r = runScript(root, nextId(), "true");
      expect(r.code).toBe(0);
      for (const name of dead) expect(existsSync(join(root, name))).toBe(false);
      // Its process may still be between the two steps.
      expect(existsSync(join(root, live))).toBe(true);
      expectClean(root, r.id);
    } finally {
      alive.kill("SIGKILL");
      await alive.exited;
      rmdirSync(join(root, live));
    }
  });
});

/** Lists the init stages still alive in the cgroups of these containers. */
function initStagesOf(ids: string[]): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const cgroups = readFileSync(`/proc/${entry}/cgroup`, "utf8");
      if (args.startsWith("ns-init") && ids.some((id) => cgroups.includes(`/ns/${id}\n`))) found.push(`${entry}: ${cgroups}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Removes a cgroup directory, which stays busy for a moment after its last process exits. */
function rmdirRetrying(dir: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      rmdirSync(dir);
      return;
    } catch (e) {
      if (attempt > 200) throw e;
      Bun.sleepSync(10);
    }
  }
}

describe("rlimits", () => {
  test("rejected rlimit fails create", () => {
    // Without CAP_SYS_RESOURCE, ns may not raise a hard limit above its own.
    const id = nextId();
    const bundle = bundleWith((c) => {
      c.process.args = ["true"];
      c.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 4096, hard: 4096 }];
    });
    const r = Bun.spawnSync(["prlimit", "--nofile=1024:1024", "setpriv", "--bounding-set", "-sys_resource", "--", NS, "--root", root, "create", "--bundle", bundle.dir, id]);
    expect(r.exitCode).toBe(1);
    expectOneLineError(r.stderr.toString(), "process.rlimits[0] (RLIMIT_NOFILE, soft 4096, hard 4096): setrlimit: EPERM");
    expect(leftovers(root, id)).toEqual([]);
  });
});

describe("pids limits", () => {
  test("a limit of 1 lets a single process run", () => {
    const r = runScript(root, nextId(), "exec echo ok", {
      edit: (c) => (c.linux.resources = { ...(c.linux.resources ?? {}), pids: { limit: 1 } }),
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("ok\n");
    expect(r.code).toBe(0);
    expectClean(root, r.id);
  });
});

describe("seccomp and execve", () => {
  test("a filter that denies execve is rejected", () => {
    const r = runScript(root, nextId(), "echo never", {
      edit: (c) => (c.linux.seccomp = { defaultAction: "SCMP_ACT_ERRNO" }),
    });
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, "linux.seccomp", "execve");
    expect(leftovers(root, r.id)).toEqual([]);
  });

  test("a filter that kills at execve ends the run", () => {
    const r = runScript(root, nextId(), "echo never", {
      edit: (c) =>
        (c.linux.seccomp = {
          defaultAction: "SCMP_ACT_ALLOW",
          syscalls: [{ names: ["execve"], action: "SCMP_ACT_ERRNO", args: [{ index: 1, value: 0, op: "SCMP_CMP_NE" }] }],
        }),
    });
    // The rule's argument condition hides the denial from the launcher's
    // check, as any filter that depends on argument values would.
    expect(r.code).toBeGreaterThan(0);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expectClean(root, r.id);
  });

  test("a filter that kills the thread at execve is reported", () => {
    const r = runScript(root, nextId(), "echo never", {
      edit: (c) =>
        (c.linux.seccomp = {
          defaultAction: "SCMP_ACT_ALLOW",
          syscalls: [{ names: ["execve"], action: "SCMP_ACT_KILL", args: [{ index: 1, value: 0, op: "SCMP_CMP_NE" }] }],
        }),
    });
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, "killed at execve");
    expectClean(root, r.id);
  });
});
