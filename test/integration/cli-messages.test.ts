// The messages of the CLI on bad input: one line naming the option, field or
// value, the documented exit code, and nothing left behind. Also the help
// texts that say how commands differ.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeBundle, NS, type Bundle } from "../helpers/bundle.ts";
import { makeStateRoot, ns, removeStateRoot, type NsResult } from "../helpers/ns.ts";
import { expectClean, expectOneLineError, runScript } from "../helpers/run.ts";
import { nsCall } from "./lifecycle-helpers.ts";

// Each test starts containers, which takes longer than bun's 5 s default on a busy machine.
setDefaultTimeout(60_000);

let root: string;
let counter = 0;

function nextId(): string {
  return `climsg-${process.pid}-${++counter}`;
}

/** Expects exactly one stderr line, `ns: MESSAGE`, and the exit code. */
function expectMessage(r: NsResult, code: number, message: string): void {
  expect(r.stderr).toBe(`ns: ${message}\n`);
  expect(r.code).toBe(code);
}

beforeAll(() => {
  root = makeStateRoot();
});

afterAll(() => {
  removeStateRoot(root);
});

describe("global options", () => {
  test("unopenable log file fails", () => {
    const file = join(root, "no-such-dir", "ns.log");
    expectMessage(ns(root, ["--log", file, "list"]), 1, `--log ${file}: open ${JSON.stringify(file)}: ENOENT (no such file or directory)`);
  });

  test("missing value names no command", () => {
    expectMessage(ns(root, ["--root"]), 2, 'option "--root" needs a value');
  });

  test("unknown option points to ns --help", () => {
    expectMessage(ns(root, ["--bogus", "list"]), 2, 'unknown option "--bogus" (see "ns --help")');
  });
});

describe("root check", () => {
  const NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
  const hasSetpriv = spawnSync("setpriv", ["--version"]).status === 0;

  /** Runs ns as the user nobody against the test's state root. */
  function nsAsNobody(args: string[]): NsResult {
    const r = spawnSync(NOBODY[0]!, [...NOBODY.slice(1), NS, "--root", root, ...args], { encoding: "utf8", timeout: 30_000 });
    return { code: r.status ?? 128, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  }

  test.skipIf(!hasSetpriv)("commands that need root fail for nobody", () => {
    const id = nextId();
    for (const args of [["list"], ["state", id], ["run", id], ["create", id], ["delete", "--force", id], ["exec", id, "true"]]) {
      expectMessage(nsAsNobody(args), 1, "must run as root, because ns creates namespaces, cgroups and mounts (running as uid 65534)");
    }
    expectClean(root, id);
  });

  test.skipIf(!hasSetpriv)("help, version, features and spec work for nobody", () => {
    expect(nsAsNobody(["--version"]).code).toBe(0);
    expect(nsAsNobody(["run", "--help"]).code).toBe(0);
    expect(nsAsNobody(["features"]).code).toBe(0);
    const bundle = mkdtempSync(join(tmpdir(), "ns-test-spec-"));
    try {
      chmodSync(bundle, 0o777);
      const r = nsAsNobody(["spec", "--bundle", bundle]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(existsSync(join(bundle, "config.json"))).toBe(true);
    } finally {
      rmSync(bundle, { recursive: true, force: true });
    }
  });
});

describe("config", () => {
  test("NUL byte in process.args names the entry", () => {
    const r = runScript(root, nextId(), "echo should not run", { edit: (c) => (c.process.args = ["sh", "-c", "echo a\u0000b"]) });
    expect(r.stdout).toBe("");
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, "config.json: process.args[2]: contains a NUL byte");
    expectClean(root, r.id);
  });

  test("RLIMIT_NOFILE above nr_open names the rlimit", () => {
    const r = runScript(root, nextId(), "echo should not run", {
      edit: (c) => (c.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 2000000, hard: 2000000 }]),
    });
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, "process.rlimits[0]: hard limit 2000000 of RLIMIT_NOFILE is above", "/proc/sys/fs/nr_open");
    expectClean(root, r.id);
  });

  test("namespace path of another type names both types", () => {
    const r = runScript(root, nextId(), "echo should not run", {
      edit: (c) => {
        c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === "network" ? { type: "network", path: "/proc/self/ns/ipc" } : n));
      },
    });
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, '.path: "/proc/self/ns/ipc" is an ipc namespace, not a network namespace');
    expectClean(root, r.id);
  });
});

describe("--preserve-fds of create", () => {
  test.each([
    ["-1", "--preserve-fds -1: expected 0 or more"],
    ["-3", "--preserve-fds -3: expected 0 or more"],
    ["100000", "--preserve-fds 100000: fd 3 was not passed to ns (fds 3 to 100002 must be open in the calling process)"],
    ["2", "--preserve-fds 2: fd 3 was not passed to ns (fds 3 to 4 must be open in the calling process)"],
  ])("rejects %p", (value, message) => {
    const bundle = makeBundle();
    const id = nextId();
    try {
      expectMessage(ns(root, ["create", "--preserve-fds", value, "--bundle", bundle.dir, id]), 2, message);
    } finally {
      bundle.remove();
    }
    expectClean(root, id);
  });
});

describe("exec", () => {
  let bundle: Bundle;
  let id: string;

  beforeAll(() => {
    id = nextId();
    bundle = makeBundle((c) => (c.process.args = ["sh", "-c", "sleep 1000; :", id]));
    // Files, not pipes, for its output: the detached container keeps them open.
    const r = nsCall(root, ["run", "--detach", "--bundle", bundle.dir, id]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  afterAll(() => {
    ns(root, ["delete", "--force", id]);
    bundle.remove();
    expectClean(root, id);
  });

  test.each([
    [["--cwd", "tmp"], "--cwd tmp: expected an absolute path"],
    [["-e", "BAD"], "--env BAD: expected NAME=VALUE"],
    [["-c", "CAP_BOGUS"], "--cap CAP_BOGUS: unknown capability"],
    [["-g", "abc"], "--additional-gids abc: expected a numeric group id from 0 to 4294967294"],
    [["--preserve-fds", "-1"], "--preserve-fds -1: expected 0 or more"],
    [["--preserve-fds", "1"], "--preserve-fds 1: fd 3 was not passed to ns (fd 3 must be open in the calling process)"],
  ])("option %p fails with its name", (options, message) => {
    expectMessage(ns(root, ["exec", ...options, id, "echo", "should not run"]), 2, message);
  });

  test("absolute path that does not exist", () => {
    expectMessage(ns(root, ["exec", id, "/nonexistent"]), 127, 'exec "/nonexistent": no such file or directory');
  });

  test("name that is not in PATH", () => {
    expectMessage(ns(root, ["exec", id, "nonexistent"]), 127, 'exec "nonexistent": executable file not found in $PATH');
  });

  test("NUL byte in a --process file names the entry", () => {
    const file = join(bundle.dir, "process.json");
    writeFileSync(file, JSON.stringify({ cwd: "/", args: ["sh", "-c", "echo a\u0000b"] }));
    expectMessage(ns(root, ["exec", "--process", file, id]), 1, `${file}: process.args[2]: contains a NUL byte`);
  });

  test("preserved fds reach the process", () => {
    const dir = mkdtempSync(join(tmpdir(), "ns-test-fds-"));
    const fds: number[] = [];
    try {
      writeFileSync(join(dir, "three"), "three\n");
      writeFileSync(join(dir, "four"), "four\n");
      fds.push(openSync(join(dir, "three"), "r"), openSync(join(dir, "four"), "r"));
      const r = nsCall(root, ["exec", "--preserve-fds", "2", id, "sh", "-c", "cat <&3; cat <&4"], { extraFds: fds });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("three\nfour\n");
      expect(r.code).toBe(0);
    } finally {
      for (const fd of fds) closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("ps passes its arguments to ps", () => {
    const r = ns(root, ["ps", id, "--", "-o", "pid,args"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]!.trim()).toBe("PID COMMAND");
    expect(lines.slice(1).some((line) => line.includes(id))).toBe(true);
    expect(lines.some((line) => line.includes("-o pid,args"))).toBe(false);
  });

  test("ps output without a PID column fails", () => {
    expectMessage(
      ns(root, ["ps", id, "--", "-o", "comm"]),
      1,
      "ps -o comm: the output has no PID column, which ns needs to pick the container's processes (add -o pid)",
    );
  });

  test("ps --format json takes no ps arguments", () => {
    expectMessage(ns(root, ["ps", "--format", "json", id, "--", "-o", "pid"]), 2, '--format json prints only the pids, so it takes no ps arguments (got "-o pid")');
  });
});

describe("help", () => {
  test("exec's --console-socket goes with --tty", () => {
    const r = ns(root, ["exec", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("send the pty master over the unix socket at PATH (with --tty)");
    expect(r.stdout).not.toContain("process.terminal");
  });

  test("enter says it is exec", () => {
    const r = ns(root, ["enter", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: ns enter [options] ID -- CMD ARGS...");
    expect(r.stdout).toContain("It is `ns exec` under another name, with the same options");
  });

  test("run says what ID with CMD does", () => {
    const r = ns(root, ["run", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("With ID and CMD, `ns run ID -- CMD` runs the bundle with CMD in place of process.args.");
    expect(r.stdout).not.toContain("(ns run)");
  });
});
