// ns run on bad input: one line on stderr that names the field, file or path
// (and the errno where a system call failed), a non-zero exit code, no stack
// trace, and nothing left behind.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeBundle } from "../helpers/bundle.ts";
import { makeStateRoot, ns, removeStateRoot } from "../helpers/ns.ts";
import { expectClean, expectOneLineError, runScript } from "../helpers/run.ts";

// Each test starts containers, which takes longer than bun's 5 s default on a busy machine.
setDefaultTimeout(60_000);

let root: string;
let counter = 0;

beforeAll(() => {
  root = makeStateRoot();
});

afterAll(() => {
  removeStateRoot(root);
});

function nextId(): string {
  return `errors-${process.pid}-${++counter}`;
}

/** Runs a bundle changed by edit and expects a one-line failure that mentions every part. */
function expectFailure(edit: (config: any) => void, ...parts: string[]): void {
  const r = runScript(root, nextId(), "echo should not run", { edit });
  expect(r.stdout).toBe("");
  expect(r.code).not.toBe(0);
  expectOneLineError(r.stderr, ...parts);
  expectClean(root, r.id);
}

function replaceNamespace(type: string, path: string) {
  return (c: any) => {
    c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === type ? { type, path } : n));
  };
}

describe("bundle", () => {
  test("a missing bundle directory names config.json and ENOENT", () => {
    const id = nextId();
    const r = ns(root, ["run", "--bundle", "/nonexistent/bundle", id]);
    expect(r.code).not.toBe(0);
    expectOneLineError(r.stderr, '"/nonexistent/bundle/config.json"', "ENOENT");
    expectClean(root, id);
  });

  test("a missing rootfs names root.path and ENOENT", () => {
    expectFailure((c) => (c.root.path = "no-such-rootfs"), "root.path", "no-such-rootfs", "ENOENT");
  });

  test("malformed JSON names the file, line and column", () => {
    const bundle = makeBundle();
    const id = nextId();
    try {
      const text = readFileSync(`${bundle.dir}/config.json`, "utf8").split("\n");
      text[4] += " ,,";
      writeFileSync(`${bundle.dir}/config.json`, text.join("\n"));
      const r = ns(root, ["run", "--bundle", bundle.dir, id]);
      expect(r.code).not.toBe(0);
      expectOneLineError(r.stderr, `${bundle.dir}/config.json:5:`, "invalid JSON");
    } finally {
      bundle.remove();
    }
    expectClean(root, id);
  });
});

describe("config", () => {
  test("an unknown namespace type names its field", () => {
    expectFailure((c) => c.linux.namespaces.push({ type: "bogus" }), "linux.namespaces[5].type", '"bogus"');
  });

  test("empty process.args names the field", () => {
    expectFailure((c) => (c.process.args = []), "process.args");
  });

  test("an unknown capability names its field", () => {
    expectFailure((c) => c.process.capabilities.bounding.push("CAP_NO_SUCH"), "process.capabilities.bounding[3]", "CAP_NO_SUCH");
  });

  test("an unknown rlimit names its field", () => {
    expectFailure((c) => (c.process.rlimits = [{ type: "RLIMIT_NO_SUCH", soft: 1, hard: 1 }]), "process.rlimits[0].type", "RLIMIT_NO_SUCH");
  });
});

describe("id mappings", () => {
  function withMappings(uid: object[], gid: object[]) {
    return (c: any) => {
      c.linux.namespaces.push({ type: "user" });
      c.linux.uidMappings = uid;
      c.linux.gidMappings = gid;
    };
  }

  const FULL = { containerID: 0, hostID: 100000, size: 65536 };

  test("overlapping ranges name the entry", () => {
    const uid = [FULL, { containerID: 500, hostID: 300000, size: 10 }];
    expectFailure(withMappings(uid, [FULL]), "linux.uidMappings[1]", "overlaps linux.uidMappings[0]");
  });

  test("a range past the highest id names the entry", () => {
    expectFailure(withMappings([FULL], [{ containerID: 0, hostID: 1, size: 4294967295 }]), "linux.gidMappings[0]", "hostID");
  });

  test("a map without container id 0 names the field", () => {
    expectFailure(withMappings([{ containerID: 1, hostID: 100000, size: 10 }], [FULL]), "linux.uidMappings", "container id 0");
  });

  test("a mount option with an unmapped gid names the mount and EINVAL", () => {
    // devpts gets gid=5, which this gid map leaves out.
    expectFailure(withMappings([FULL], [{ containerID: 0, hostID: 100000, size: 1 }]), "mounts[2] (/dev/pts)", "EINVAL");
  });
});

describe("mounts", () => {
  test("a missing bind source names the mount", () => {
    expectFailure(
      (c) => c.mounts.push({ destination: "/mnt/missing", type: "bind", source: "/nonexistent/source", options: ["bind"] }),
      "mounts[7] (/mnt/missing)",
      '"/nonexistent/source"',
      "ENOENT",
    );
  });
});

describe("namespace paths", () => {
  test("a file that is not a namespace names the field", () => {
    expectFailure(replaceNamespace("network", "/etc/hostname"), "linux.namespaces[1].path", '"/etc/hostname"', "not a namespace file");
  });

  test("a namespace of another type names the field and the type", () => {
    expectFailure(replaceNamespace("network", "/proc/self/ns/uts"), "linux.namespaces[1].path", "not a network namespace");
  });

  test("a missing path names the field and ENOENT", () => {
    expectFailure(replaceNamespace("network", "/nonexistent/ns/net"), "linux.namespaces[1].path", '"/nonexistent/ns/net"', "ENOENT");
  });
});

describe("container id", () => {
  test("an id in use is rejected and the other container's state is kept", () => {
    const id = nextId();
    mkdirSync(join(root, id));
    writeFileSync(join(root, id, "state.json"), "{}");
    try {
      const r = runScript(root, id, "echo should not run");
      expect(r.code).not.toBe(0);
      expectOneLineError(r.stderr, `"${id}"`, "already exists");
      expect(existsSync(join(root, id, "state.json"))).toBe(true);
    } finally {
      rmSync(join(root, id), { recursive: true, force: true });
    }
  });

  test("an id that could name a path outside the state root is rejected", () => {
    const outside = mkdtempSync(join(tmpdir(), "ns-test-outside-"));
    rmSync(outside, { recursive: true });
    const bundle = makeBundle();
    try {
      const r = ns(root, ["run", "--bundle", bundle.dir, `../${outside.split("/").pop()}`]);
      expect(r.code).not.toBe(0);
      expectOneLineError(r.stderr, "invalid container id");
      expect(existsSync(outside)).toBe(false);
    } finally {
      bundle.remove();
    }
  });
});
