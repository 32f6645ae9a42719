// The state directory through the CLI: a corrupt state.json, ids at the
// length limit, and `ns delete --force` racing the creator of a container.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeBundle } from "../helpers/bundle.ts";
import { makeStateRoot, ns, removeStateRoot } from "../helpers/ns.ts";
import { expectClean, expectOneLineError, runScript, startNs } from "../helpers/run.ts";
import { nsCall } from "./lifecycle-helpers.ts";

// Each test starts containers, which takes longer than bun's 5 s default on a busy machine.
setDefaultTimeout(60_000);

let root: string;
let counter = 0;

function nextId(): string {
  return `statecli-${process.pid}-${++counter}`;
}

beforeAll(() => {
  root = makeStateRoot();
});

afterAll(() => {
  removeStateRoot(root);
});

describe("corrupt state.json", () => {
  /** Makes a state directory whose state.json is not JSON, as a full disk or a stray editor could leave it. */
  function corruptContainer(): { id: string; file: string } {
    const id = nextId();
    mkdirSync(join(root, id));
    const file = join(root, id, "state.json");
    writeFileSync(file, "{not json");
    return { id, file };
  }

  test("delete without --force names the fix", () => {
    const { id, file } = corruptContainer();
    const r = ns(root, ["delete", id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `ns: state of container "${id}": ${file} is not valid JSON (line 1, column 2: expected a member name in double quotes, got "n"); ` +
        `"ns delete --force ${id}" removes it\n`,
    );
    expect(existsSync(file)).toBe(true);
    expect(ns(root, ["delete", "--force", id]).code).toBe(0);
  });

  test("delete --force removes the state directory with a warning", () => {
    const { id, file } = corruptContainer();
    const r = ns(root, ["delete", "--force", id]);
    expect(r.stderr).toBe(
      `ns: warn: container "${id}": removed only its state directory, because ${file} is corrupt; ` +
        "any processes, cgroups or network devices it made are unknown to ns and were left as they are\n",
    );
    expect(r.code).toBe(0);
    expectClean(root, id);
    // Gone now, so a second delete --force succeeds quietly, as for any missing container.
    const again = ns(root, ["delete", "--force", id]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
  });

  test("list shows the container as unknown", () => {
    const { id } = corruptContainer();
    try {
      const table = ns(root, ["list"]);
      expect(table.code).toBe(0);
      expectOneLineError(table.stderr, `ns: warn: state of container "${id}":`, "is not valid JSON");
      const row = table.stdout.split("\n").find((line) => line.startsWith(`${id} `));
      expect(row?.split(/\s+/).slice(0, 3)).toEqual([id, "0", "unknown"]);

      const json = ns(root, ["list", "--format", "json"]);
      expect(json.code).toBe(0);
      const entry = (JSON.parse(json.stdout) as { id: string; status: string; pid: number }[]).find((s) => s.id === id);
      expect(entry?.status).toBe("unknown");
      expect(entry?.pid).toBe(0);

      const quiet = ns(root, ["list", "--quiet"]);
      expect(quiet.stdout.split("\n")).toContain(id);
    } finally {
      ns(root, ["delete", "--force", id]);
    }
    expectClean(root, id);
  });
});

describe("id length", () => {
  test("237 characters run and leave nothing", () => {
    const id = `statecli-${process.pid}-`.padEnd(237, "x");
    const r = runScript(root, id, "echo ran");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("ran\n");
    expect(r.code).toBe(0);
    expectClean(root, id);
  });

  test("238 characters fail with the limit", () => {
    const id = `statecli-${process.pid}-`.padEnd(238, "x");
    const r = runScript(root, id, "echo should not run");
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `ns: invalid container id "${id.slice(0, 32)}...": 238 characters long, but the maximum is 237, ` +
        "because ns names directories after it and the kernel limits a name to 255 bytes\n",
    );
    expect(r.code).toBe(2);
    expectClean(root, id);
  });

  test("237 characters survive create and delete", () => {
    const id = `statecli-${process.pid}-c-`.padEnd(237, "y");
    const bundle = makeBundle((c) => (c.process.args = ["true"]));
    try {
      // Files, not pipes, for its output: the created container keeps them open.
      const created = nsCall(root, ["create", "--bundle", bundle.dir, id]);
      expect(created.stderr).toBe("");
      expect(created.code).toBe(0);
      const deleted = ns(root, ["delete", "--force", id]);
      expect(deleted.stderr).toBe("");
      expect(deleted.code).toBe(0);
    } finally {
      bundle.remove();
    }
    expectClean(root, id);
  });
});

describe("delete --force during creation", () => {
  test("never breaks the creator's claim", async () => {
    // Each round starts `ns run` and, at once, calls `ns delete --force` on
    // its id until the run ends. The run may be killed, or end first, but
    // its state directory must never vanish under it while it creates.
    for (let round = 0; round < 5; round++) {
      const id = nextId();
      const bundle = makeBundle((c) => (c.process.args = ["sh", "-c", "sleep 0.2", id]));
      chmodSync(bundle.dir, 0o755);
      try {
        const run = startNs(root, ["run", "--bundle", bundle.dir, id]);
        let finished = false;
        const result = run.done.finally(() => {
          finished = true;
        });
        while (!finished) {
          const r = ns(root, ["delete", "--force", id]);
          expect(r.stderr).not.toContain("ENOENT");
          await Bun.sleep(1);
        }
        const { stderr } = await result;
        expect(stderr).not.toContain("ENOENT");
        expect(stderr).not.toContain(".state.json");
      } finally {
        ns(root, ["delete", "--force", id]);
        bundle.remove();
      }
      expectClean(root, id);
    }
  });
});
