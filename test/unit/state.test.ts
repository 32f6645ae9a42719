// The state store and the status derived from a record. These tests need no
// root: the store lives in a temporary directory, and the "container
// process" is this test's own process, whose start time the records copy or
// alter.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../src/errors.ts";
import { readStartTime } from "../../src/proc.ts";
import { ociState, statusOf } from "../../src/state/oci.ts";
import { checkId, ContainerExistsError, ContainerNotFoundError, StateStore, type ContainerRecord } from "../../src/state/store.ts";

let root: string;

function record(id: string, overrides: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    ociVersion: "1.2.0",
    id,
    pid: process.pid,
    startTime: readStartTime(process.pid)!,
    bundle: "/bundle",
    rootfs: "/bundle/rootfs",
    created: new Date(0).toISOString(),
    config: {},
    started: false,
    foreground: false,
    ...overrides,
  };
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "ns-unit-state-"));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("checkId", () => {
  test.each(["abc", "a-b_c.d+e", "4da06ee1-e097-4f60-96da-762693de8d3c", "x".repeat(1024)])("accepts %p", (id) => {
    expect(() => checkId(id)).not.toThrow();
  });

  test.each(["", ".", "..", "a/b", "../x", "a b", "a\nb", "x".repeat(1025), "é"])("rejects %p", (id) => {
    expect(() => checkId(id)).toThrow(UserError);
  });
});

describe("StateStore", () => {
  test("claim creates the directory and rejects a taken id", () => {
    const store = new StateStore(root);
    const dir = store.claim("one");
    expect(dir).toBe(join(root, "one"));
    expect(existsSync(dir)).toBe(true);
    expect(() => new StateStore(root).claim("one")).toThrow(ContainerExistsError);
  });

  test("write replaces state.json without leaving temporary files", () => {
    const store = new StateStore(root);
    store.claim("one");
    store.write(record("one"));
    store.write(record("one", { started: true }));
    expect(readdirSync(join(root, "one"))).toEqual(["state.json"]);
    expect(store.read("one").started).toBe(true);
  });

  test("read throws ContainerNotFoundError for an unknown id", () => {
    expect(() => new StateStore(root).read("missing")).toThrow(ContainerNotFoundError);
  });

  test("read names the file when state.json is corrupt", () => {
    const store = new StateStore(root);
    store.claim("bad");
    writeFileSync(join(root, "bad", "state.json"), "{not json");
    expect(() => store.read("bad")).toThrow(/state of container "bad": .*state\.json is not valid JSON/);
    writeFileSync(join(root, "bad", "state.json"), JSON.stringify({ id: "other", pid: 1, startTime: "1" }));
    expect(() => store.read("bad")).toThrow(/is not a state file of ns/);
  });

  test("load reports a directory whose creator holds the lock as creating", () => {
    const creator = new StateStore(root);
    creator.claim("busy");
    // Another store instance opens the directory again, as another process would.
    const other = new StateStore(root);
    expect(other.load("busy").incomplete).toBe("creating");
    creator.write(record("busy"));
    expect(other.load("busy").incomplete).toBeUndefined();
  });

  test("load reports a directory without state.json and without a lock holder as stale", () => {
    // What a creator that was killed before writing its record leaves behind.
    mkdirSync(join(root, "left"));
    const placeholder = new StateStore(root).load("left");
    expect(placeholder.incomplete).toBe("stale");
    expect(placeholder.pid).toBe(0);
    expect(statusOf(placeholder, join(root, "left"))).toBe("stopped");
  });

  test("withLock runs fn once the creator has written the record", () => {
    const creator = new StateStore(root);
    creator.claim("locked");
    creator.write(record("locked"));
    let ran = false;
    new StateStore(root).withLock("locked", () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });

  test("withLock throws ContainerNotFoundError for an unknown id", () => {
    expect(() => new StateStore(root).withLock("missing", () => 0)).toThrow(ContainerNotFoundError);
  });

  test("ids lists container directories only, sorted", () => {
    const store = new StateStore(root);
    for (const id of ["b", "a", "c"]) store.claim(id);
    writeFileSync(join(root, ".ns-exe"), "");
    expect(store.ids()).toEqual(["a", "b", "c"]);
  });
});

describe("statusOf", () => {
  test("is created while the exec fifo exists and the process lives", () => {
    const dir = mkdtempSync(join(root, "c-"));
    writeFileSync(join(dir, "exec.fifo"), "");
    expect(statusOf(record("c"), dir)).toBe("created");
  });

  test("is running once started", () => {
    expect(statusOf(record("c", { started: true }), root)).toBe("running");
  });

  test("is paused when the cgroup is frozen", () => {
    expect(statusOf(record("c", { started: true }), root, () => true)).toBe("paused");
  });

  test("is stopped when the recorded start time differs, as after pid reuse", () => {
    expect(statusOf(record("c", { started: true, startTime: "1" }), root)).toBe("stopped");
  });

  test("is stopped when the pid is gone", () => {
    expect(statusOf(record("c", { pid: 2 ** 22 + 1 }), root)).toBe("stopped");
  });

  test("is creating without a pid, and stopped for a stale directory", () => {
    expect(statusOf(record("c", { pid: 0 }), root)).toBe("creating");
    expect(statusOf(record("c", { incomplete: "creating" }), root)).toBe("creating");
    expect(statusOf(record("c", { incomplete: "stale" }), root)).toBe("stopped");
  });
});

describe("ociState", () => {
  test("has the fields of runtime-spec runtime.md, annotations defaulting to {}", () => {
    expect(ociState({ id: "x", pid: 7, bundle: "/b", status: "running" })).toEqual({
      ociVersion: "1.2.0",
      id: "x",
      status: "running",
      pid: 7,
      bundle: "/b",
      annotations: {},
    });
  });
});
