// The state store and the status derived from a record. These tests need no
// root: the store lives in a temporary directory, and the "container
// process" is this test's own process, whose start time the records copy or
// alter.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UserError } from "../../src/errors.ts";
import { readStartTime } from "../../src/proc.ts";
import { ociState, statusOf } from "../../src/state/oci.ts";
import {
  checkId,
  ContainerExistsError,
  ContainerNotFoundError,
  CorruptStateError,
  MAX_ID_LENGTH,
  StateStore,
  type ContainerRecord,
} from "../../src/state/store.ts";

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
  test.each(["abc", "a-b_c.d+e", "4da06ee1-e097-4f60-96da-762693de8d3c", "x".repeat(237)])("accepts %p", (id) => {
    expect(() => checkId(id)).not.toThrow();
  });

  test.each(["", ".", "..", "a/b", "../x", "a b", "a\nb", "x".repeat(238), "é"])("rejects %p", (id) => {
    expect(() => checkId(id)).toThrow(UserError);
  });

  test("maximum length leaves room for the removing name", () => {
    // `.removing:ID:PID` with a 7-digit pid must fit in NAME_MAX (255).
    expect(MAX_ID_LENGTH).toBe(237);
    expect(`.removing:${"x".repeat(MAX_ID_LENGTH)}:4194304`.length).toBe(255);
  });

  test("too long id names the limit", () => {
    expect(() => checkId("x".repeat(300))).toThrow(
      'invalid container id "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...": 300 characters long, but the maximum is 237, ' +
        "because ns names directories after it and the kernel limits a name to 255 bytes",
    );
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
    expect(() => store.read("bad")).toThrow(CorruptStateError);
    writeFileSync(join(root, "bad", "state.json"), JSON.stringify({ id: "other", pid: 1, startTime: "1" }));
    expect(() => store.read("bad")).toThrow(/is not a state file of ns; "ns delete --force bad" removes it$/);
    expect(() => store.read("bad")).toThrow(CorruptStateError);
  });

  test("claim leaves no temporary directory", () => {
    const store = new StateStore(root);
    store.claim("one");
    expect(() => new StateStore(root).claim("one")).toThrow(ContainerExistsError);
    expect(readdirSync(root)).toEqual(["one"]);
  });

  test("claim rejects an id taken by an empty directory", () => {
    // rename(2) would replace an empty directory; the claim must not.
    mkdirSync(join(root, "empty"));
    expect(() => new StateStore(root).claim("empty")).toThrow(ContainerExistsError);
    expect(readdirSync(root)).toEqual(["empty"]);
  });

  test("remove works for an id of maximum length", () => {
    const id = "x".repeat(MAX_ID_LENGTH);
    const store = new StateStore(root);
    store.claim(id);
    store.write(record(id));
    store.remove(id);
    expect(readdirSync(root)).toEqual([]);
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

/**
 * A second process that scans the state root until the stop file appears and
 * counts the directories it could lock while they had no state.json: what
 * `ns delete` would take for the leftovers of a dead creator.
 */
const UNLOCKED_WITHOUT_RECORD_SCANNER = `
import { existsSync, readdirSync } from "node:fs";
import { close, flock, LOCK_EX, LOCK_NB, O_CLOEXEC, O_DIRECTORY, O_RDONLY, open } from "${resolve(import.meta.dir, "../../src/ffi/libc.ts")}";
const [root, stop] = process.argv.slice(-2);
let found = 0;
let locked = 0;
while (!existsSync(stop)) {
  for (const name of readdirSync(root)) {
    if (name.startsWith(".")) continue;
    let fd;
    try {
      fd = open(root + "/" + name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } catch {
      continue;
    }
    if (flock(fd, LOCK_EX | LOCK_NB)) {
      locked++;
      if (!existsSync("/proc/self/fd/" + fd + "/state.json")) found++;
    }
    close(fd);
  }
}
console.log(JSON.stringify({ found, locked }));
`;

describe("claim race", () => {
  test("no unlocked directory without a record", async () => {
    const aside = mkdtempSync(join(tmpdir(), "ns-unit-aside-"));
    const stop = join(aside, "stop");
    const scanner = Bun.spawn([process.execPath, "-e", UNLOCKED_WITHOUT_RECORD_SCANNER, root, stop], { stdout: "pipe" });
    try {
      const store = new StateStore(root);
      await Bun.sleep(200);
      for (let i = 0; i < 1000; i++) {
        const id = `c${i}`;
        store.claim(id);
        store.write(record(id));
        // Moved aside whole, state.json included, so the scanner's open fd never sees it vanish.
        renameSync(join(root, id), join(aside, id));
      }
    } finally {
      writeFileSync(stop, "");
    }
    const result = JSON.parse(await new Response(scanner.stdout).text());
    rmSync(aside, { recursive: true, force: true });
    expect(result.found).toBe(0);
    // The scanner must have competed for the locks, or the test proves nothing.
    expect(result.locked).toBeGreaterThan(0);
  }, 30_000);
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
