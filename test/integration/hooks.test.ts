// OCI hooks (runtime-spec config.md "POSIX-platform Hooks"): each phase
// runs at its point of the lifecycle, in the runtime's or the container's
// namespaces, with the state on stdin and its own args, env and timeout; a
// failure fails create or start in the phases where the spec says so, and
// only warns in poststart and poststop.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeBundle, type Bundle } from "../helpers/bundle.ts";
import { leftovers, makeStateRoot, removeStateRoot } from "../helpers/ns.ts";
import { isOneLineError, nsCall, stateOf, waitForStatus, waitUntil, type NsOutput } from "./lifecycle-helpers.ts";

// Each test starts several containers; on a loaded 2-core machine that can take many seconds.
setDefaultTimeout(60_000);

let root: string;
const bundles: Bundle[] = [];
const ids: string[] = [];
let counter = 0;

/**
 * A hook script that saves its stdin as PHASE.json in DIR and appends
 * "PHASE MNT-NS PID-NS" to DIR/order.log. The same text serves the host's
 * /bin/sh and the container's busybox.
 */
const RECORDER = `#!/bin/sh
cat > "$2/$1.json"
echo "$1 $(readlink /proc/self/ns/mnt) $(readlink /proc/self/ns/pid)" >> "$2/order.log"
`;

interface HookBundle {
  bundle: Bundle;
  id: string;
  /** The host path of the directory the hooks write to (the rootfs). */
  dir: string;
}

/** A hook that runs the recorder for a phase; startContainer's runs inside the container. */
function recorderHook(bundle: Bundle, phase: string): Record<string, unknown> {
  if (phase === "startContainer") return { path: "/recorder.sh", args: ["recorder.sh", phase, "/"] };
  return { path: join(bundle.dir, "recorder.sh"), args: ["recorder.sh", phase, bundle.rootfs] };
}

function hookBundle(name: string, args: string[], hooks: (bundle: Bundle) => Record<string, unknown[]>): HookBundle {
  const bundle = makeBundle((config) => {
    config.process.args = args;
    config.root.readonly = false;
    config.annotations = { "org.example.hooks": name };
  });
  bundles.push(bundle);
  writeFileSync(join(bundle.dir, "recorder.sh"), RECORDER, { mode: 0o755 });
  writeFileSync(join(bundle.rootfs, "recorder.sh"), RECORDER, { mode: 0o755 });
  bundle.config.hooks = hooks(bundle);
  bundle.save();
  const id = `hooks-${process.pid}-${++counter}-${name}`;
  ids.push(id);
  return { bundle, id, dir: bundle.rootfs };
}

function ns(args: string[]): NsOutput {
  return nsCall(root, args);
}

function orderOf(dir: string): string[][] {
  const file = join(dir, "order.log");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").trim().split("\n").map((line) => line.split(" "));
}

function hookInput(dir: string, phase: string): Record<string, any> {
  return JSON.parse(readFileSync(join(dir, `${phase}.json`), "utf8"));
}

beforeAll(() => {
  root = makeStateRoot();
  chmodSync(root, 0o711);
});

afterAll(() => {
  // A test that failed halfway may have left its container behind.
  for (const id of ids) nsCall(root, ["delete", "--force", id]);
  for (const id of ids) expect(leftovers(root, id)).toEqual([]);
  for (const bundle of bundles) bundle.remove();
  removeStateRoot(root);
});

describe("hooks in order", () => {
  test("every phase runs once, in lifecycle order, in the namespaces the spec names", () => {
    const phases = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"];
    const h = hookBundle("all", ["sh", "-c", "echo process >> /order.log; exec sleep 1000"], (bundle) =>
      Object.fromEntries(phases.map((phase) => [phase, [recorderHook(bundle, phase)]])),
    );
    expect(ns(["create", "--bundle", h.bundle.dir, h.id])).toMatchObject({ code: 0, stderr: "" });
    expect(orderOf(h.dir).map((line) => line[0])).toEqual(["prestart", "createRuntime", "createContainer"]);
    const pid = stateOf(root, h.id).pid;

    expect(ns(["start", h.id])).toMatchObject({ code: 0, stderr: "" });
    expect(waitUntil(() => orderOf(h.dir).length === 6)).toBe(true);
    const started = orderOf(h.dir).map((line) => line[0]);
    expect(started.slice(0, 4)).toEqual(["prestart", "createRuntime", "createContainer", "startContainer"]);
    expect(started.filter((phase) => phase !== "process")).toEqual(["prestart", "createRuntime", "createContainer", "startContainer", "poststart"]);

    expect(ns(["delete", "--force", h.id]).code).toBe(0);
    const lines = orderOf(h.dir);
    expect(lines.map((line) => line[0]).at(-1)).toBe("poststop");

    // prestart, createRuntime, poststart and poststop run in the runtime's
    // namespaces; createContainer and startContainer in the container's.
    const hostMount = readlinkSync("/proc/self/ns/mnt");
    const hostPid = readlinkSync("/proc/self/ns/pid");
    const byPhase = Object.fromEntries(lines.map((line) => [line[0]!, { mnt: line[1], pid: line[2] }]));
    for (const phase of ["prestart", "createRuntime", "poststart", "poststop"]) {
      expect({ phase, ...byPhase[phase] }).toEqual({ phase, mnt: hostMount, pid: hostPid });
    }
    for (const phase of ["createContainer", "startContainer"]) {
      expect({ phase, inHostMount: byPhase[phase]!.mnt === hostMount, inHostPid: byPhase[phase]!.pid === hostPid }).toEqual({ phase, inHostMount: false, inHostPid: false });
    }

    // Each hook got the state on stdin.
    for (const phase of phases) {
      const state = hookInput(h.dir, phase);
      expect({ phase, id: state.id, bundle: state.bundle, annotations: state.annotations }).toEqual({
        phase,
        id: h.id,
        bundle: h.bundle.dir,
        annotations: { "org.example.hooks": "all" },
      });
      if (phase !== "poststop") expect({ phase, pid: state.pid }).toEqual({ phase, pid });
    }
    expect(hookInput(h.dir, "poststart").status).toBe("running");
    expect(hookInput(h.dir, "poststop").status).toBe("stopped");
    expect(leftovers(root, h.id)).toEqual([]);
  });

  test("hooks of one phase run in the order listed", () => {
    const h = hookBundle("listed", ["true"], (bundle) => ({
      prestart: [1, 2, 3].map((n) => ({ path: "/bin/sh", args: ["sh", "-c", `echo ${n} >> ${bundle.rootfs}/listed.log`] })),
    }));
    expect(ns(["run", "--bundle", h.bundle.dir, h.id]).code).toBe(0);
    expect(readFileSync(join(h.dir, "listed.log"), "utf8")).toBe("1\n2\n3\n");
    expect(leftovers(root, h.id)).toEqual([]);
  });

  test("ns run runs every phase, poststop after the process exits", () => {
    const phases = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"];
    const h = hookBundle("run", ["sh", "-c", "echo process >> /order.log"], (bundle) =>
      Object.fromEntries(phases.map((phase) => [phase, [recorderHook(bundle, phase)]])),
    );
    expect(ns(["run", "--bundle", h.bundle.dir, h.id]).code).toBe(0);
    const order = orderOf(h.dir).map((line) => line[0]);
    expect(order.filter((phase) => phase !== "poststart")).toEqual(["prestart", "createRuntime", "createContainer", "startContainer", "process", "poststop"]);
    expect(order).toContain("poststart");
    expect(leftovers(root, h.id)).toEqual([]);
  });

  test("a hook gets its own args and exactly its env", () => {
    const h = hookBundle("args", ["true"], (bundle) => ({
      createRuntime: [
        {
          path: "/bin/sh",
          args: ["custom-argv0", "-c", `tr "\\0" "\\n" < /proc/$$/cmdline > ${bundle.rootfs}/argv.txt; env > ${bundle.rootfs}/env.txt`, "one two"],
          env: ["FOO=bar baz"],
        },
      ],
    }));
    expect(ns(["run", "--bundle", h.bundle.dir, h.id]).code).toBe(0);
    expect(readFileSync(join(h.dir, "argv.txt"), "utf8").split("\n")).toEqual(["custom-argv0", "-c", expect.any(String), "one two", ""]);
    // The shell adds PWD itself; everything else comes from the hook's env.
    const env = readFileSync(join(h.dir, "env.txt"), "utf8").trim().split("\n").filter((line) => !line.startsWith("PWD="));
    expect(env).toEqual(["FOO=bar baz"]);
  });
});

describe("hook failures", () => {
  for (const phase of ["prestart", "createRuntime", "createContainer"]) {
    test(`a failing ${phase} hook fails create and leaves nothing`, () => {
      const h = hookBundle(`fail-${phase}`, ["sh", "-c", "echo ran > /ran"], () => ({
        [phase]: [{ path: "/bin/sh", args: ["sh", "-c", "echo broken hook >&2; exit 3"] }],
      }));
      const r = ns(["create", "--bundle", h.bundle.dir, h.id]);
      expect(isOneLineError(r)).toBe(true);
      expect(r.stderr).toContain(`hooks.${phase}[0] (/bin/sh): exited with 3: broken hook`);
      expect(leftovers(root, h.id)).toEqual([]);
      expect(existsSync(join(h.dir, "ran"))).toBe(false);
      expect(ns(["state", h.id]).stderr).toContain("does not exist");
    });
  }

  test("a hook that is not there fails create", () => {
    const h = hookBundle("missing", ["true"], () => ({ prestart: [{ path: "/nonexistent/hook" }] }));
    const r = ns(["create", "--bundle", h.bundle.dir, h.id]);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toContain("hooks.prestart[0] (/nonexistent/hook): not found");
    expect(leftovers(root, h.id)).toEqual([]);
  });

  test("a hook past its timeout is killed and fails create", () => {
    const h = hookBundle("timeout", ["true"], () => ({ createRuntime: [{ path: "/bin/sleep", args: ["sleep", "30"], timeout: 1 }] }));
    const started = Date.now();
    const r = ns(["create", "--bundle", h.bundle.dir, h.id]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toContain("hooks.createRuntime[0] (/bin/sleep): timed out after 1 s");
    expect(leftovers(root, h.id)).toEqual([]);
  });

  test("a hook that leaves a daemon behind does not hold up create", () => {
    const h = hookBundle("daemon", ["true"], () => ({ prestart: [{ path: "/bin/sh", args: ["sh", "-c", "sleep 5 & echo started >&2"] }] }));
    const started = Date.now();
    const r = ns(["create", "--bundle", h.bundle.dir, h.id]);
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(ns(["delete", "--force", h.id]).code).toBe(0);
    expect(leftovers(root, h.id)).toEqual([]);
  });

  test("failing create hook runs poststop", () => {
    // A failed create goes on with delete, which runs the poststop hooks.
    for (const phase of ["prestart", "createRuntime", "createContainer"]) {
      const h = hookBundle(`fail-${phase}`, ["true"], (bundle) => ({
        [phase]: [{ path: "/bin/sh", args: ["sh", "-c", "exit 3"] }],
        poststop: [recorderHook(bundle, "poststop")],
      }));
      const r = ns(["create", "--bundle", h.bundle.dir, h.id]);
      expect(isOneLineError(r)).toBe(true);
      expect(r.stderr).toContain(`hooks.${phase}[0] (/bin/sh): exited with 3`);
      expect(orderOf(h.dir).map((line) => line[0])).toEqual(["poststop"]);
      expect(hookInput(h.dir, "poststop")).toMatchObject({ id: h.id, status: "stopped" });
      expect(leftovers(root, h.id)).toEqual([]);
    }
  });

  test("host hooks run in bundle directory", () => {
    const h = hookBundle("cwd", ["true"], (bundle) => ({
      prestart: [{ path: "/bin/sh", args: ["sh", "-c", `pwd > ${bundle.rootfs}/prestart.cwd`] }],
      poststop: [{ path: "/bin/sh", args: ["sh", "-c", `pwd > ${bundle.rootfs}/poststop.cwd`] }],
    }));
    expect(ns(["run", "--bundle", h.bundle.dir, h.id]).code).toBe(0);
    expect(readFileSync(join(h.dir, "prestart.cwd"), "utf8").trim()).toBe(h.bundle.dir);
    expect(readFileSync(join(h.dir, "poststop.cwd"), "utf8").trim()).toBe(h.bundle.dir);
    expect(leftovers(root, h.id)).toEqual([]);
  });

  test("a failing startContainer hook stops the container before its process runs", () => {
    const h = hookBundle("fail-startContainer", ["sh", "-c", "echo ran > /ran"], () => ({
      startContainer: [{ path: "/bin/sh", args: ["sh", "-c", "exit 4"] }],
    }));
    expect(ns(["create", "--bundle", h.bundle.dir, h.id]).code).toBe(0);
    // NOTE: runtime-spec requires start to fail here. ns start reports the
    // failure only when the init stage writes it to the exec fifo, which it
    // does not yet do (neither does runc 1.1). The container stops either way.
    ns(["start", h.id]);
    waitForStatus(root, h.id, "stopped");
    expect(existsSync(join(h.dir, "ran"))).toBe(false);
    expect(ns(["delete", h.id]).code).toBe(0);
    expect(leftovers(root, h.id)).toEqual([]);
  });

  test("failing poststart hook only warns", () => {
    const h = hookBundle("fail-poststart", ["sleep", "1000"], (bundle) => ({
      poststart: [{ path: "/bin/false", args: ["false"] }, recorderHook(bundle, "poststart")],
    }));
    expect(ns(["create", "--bundle", h.bundle.dir, h.id]).code).toBe(0);
    const r = ns(["start", h.id]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warn: hooks.poststart[0] (/bin/false): exited with 1");
    expect(orderOf(h.dir).map((line) => line[0])).toEqual(["poststart"]);
    expect(stateOf(root, h.id).status).toBe("running");
    expect(ns(["delete", "--force", h.id]).code).toBe(0);
    expect(leftovers(root, h.id)).toEqual([]);
  });

  test("failing poststop hook only warns", () => {
    const h = hookBundle("fail-poststop", ["true"], (bundle) => ({
      poststop: [{ path: "/bin/sh", args: ["sh", "-c", "exit 5"] }, recorderHook(bundle, "poststop")],
    }));
    expect(ns(["create", "--bundle", h.bundle.dir, h.id]).code).toBe(0);
    expect(ns(["start", h.id]).code).toBe(0);
    waitForStatus(root, h.id, "stopped");
    const r = ns(["delete", h.id]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warn: hooks.poststop[0] (/bin/sh): exited with 5");
    expect(orderOf(h.dir).map((line) => line[0])).toEqual(["poststop"]);
    expect(leftovers(root, h.id)).toEqual([]);
  });
});
