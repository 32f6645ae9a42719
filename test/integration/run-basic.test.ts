// ns run against a busybox bundle: the process, its exit code, and what is left after it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { makeBundle, type Bundle } from "../helpers/bundle.ts";
import { leftovers, makeStateRoot, ns, removeStateRoot } from "../helpers/ns.ts";

let root: string;
let bundle: Bundle;
let counter = 0;

function runScript(script: string, edit?: (config: any) => void) {
  bundle.config.process.args = ["sh", "-c", script];
  edit?.(bundle.config);
  bundle.save();
  const id = `basic-${process.pid}-${++counter}`;
  const result = ns(root, ["run", "--bundle", bundle.dir, id]);
  return { ...result, id };
}

beforeAll(() => {
  root = makeStateRoot();
  bundle = makeBundle();
});

afterAll(() => {
  bundle?.remove();
  removeStateRoot(root);
});

describe("ns run", () => {
  test("runs the process as pid 1 and returns exit code 0", () => {
    const r = runScript("echo pid=$$");
    expect(r.stdout).toBe("pid=1\n");
    expect(r.code).toBe(0);
    expect(leftovers(root, r.id)).toEqual([]);
  });

  test("returns the container's exit code", () => {
    const r = runScript("exit 7");
    expect(r.code).toBe(7);
    expect(leftovers(root, r.id)).toEqual([]);
  });

  test("sets the hostname from the config", () => {
    const r = runScript("hostname", (c) => (c.hostname = "box-one"));
    expect(r.stdout).toBe("box-one\n");
  });
});
