// ns run's exit code, signals sent to the launcher or the container, and the
// options --pid-file and --preserve-fds.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { makeBundle, NS } from "../helpers/bundle.ts";
import { makeStateRoot, removeStateRoot } from "../helpers/ns.ts";
import { catchesSignal, expectClean, expectOneLineError, runInBackground, runScript, statusFields, waitFor } from "../helpers/run.ts";

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
  return `exit-${process.pid}-${++counter}`;
}

/** Runs a container whose process is args (args[0] looked up in the container). */
function runArgs(args: string[], prepare?: (rootfs: string) => void) {
  const id = nextId();
  const r = runScript(root, id, "", { edit: (c) => (c.process.args = [...args, id]), prepare: (b) => prepare?.(b.rootfs) });
  expectClean(root, id);
  return r;
}

const SIGTERM = 15;

/** A container that waits for SIGTERM in a trap, which exits with 42, and otherwise sleeps up to 30 s. */
const TRAP_TERM = "trap 'echo got TERM; exit 42' TERM; echo ready; i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; exit 3";

describe("exit code", () => {
  test("is 0 when the process succeeds", () => {
    const r = runArgs(["sh", "-c", "exit 0"]);
    expect(r.code).toBe(0);
  });

  test("is the process's own exit code", () => {
    const r = runArgs(["sh", "-c", "exit 7"]);
    expect(r.code).toBe(7);
    expect(r.stderr).toBe("");
  });

  test("is 126 for a program that is not executable", () => {
    const r = runArgs(["/etc/passwd"]);
    expect(r.code).toBe(126);
    expectOneLineError(r.stderr, '"/etc/passwd"', "permission denied");
  });

  test("is 126 for a directory", () => {
    const r = runArgs(["/bin"]);
    expect(r.code).toBe(126);
    expectOneLineError(r.stderr, '"/bin"');
  });

  test("is 126 for a program that only the root user may run", () => {
    const id = nextId();
    const r = runScript(root, id, "", {
      edit: (c) => {
        c.process.args = ["/bin/rootonly", id];
        c.process.user = { uid: 1000, gid: 1000 };
      },
      prepare: (b) => writeFileSync(`${b.rootfs}/bin/rootonly`, "#!/bin/sh\necho should not run\n", { mode: 0o700 }),
    });
    expect(r.code).toBe(126);
    expect(r.stdout).toBe("");
    expectClean(root, id);
  });

  test("is 127 for a missing program path", () => {
    const r = runArgs(["/no/such/program"]);
    expect(r.code).toBe(127);
    expectOneLineError(r.stderr, '"/no/such/program"', "no such file or directory");
  });

  test("is 127 for a name that is not in PATH", () => {
    const r = runArgs(["no-such-program"]);
    expect(r.code).toBe(127);
    expectOneLineError(r.stderr, '"no-such-program"', "not found in $PATH");
  });

  test("is 127 when PATH lacks the program's directory", () => {
    const id = nextId();
    const r = runScript(root, id, "", {
      edit: (c) => {
        c.process.args = ["sh", "-c", "true", id];
        c.process.env = ["PATH=/usr/local/bin"];
      },
    });
    expect(r.code).toBe(127);
    expectClean(root, id);
  });

  test("is 128+9 when the container is killed with SIGKILL", async () => {
    const id = nextId();
    const r = await runInBackground(root, id, TRAP_TERM, {}, (pid) => {
      process.kill(pid, "SIGKILL");
    });
    expect(r.code).toBe(137);
    expectClean(root, id);
  });

  test("is the trap's when SIGTERM sent to ns run reaches the container", async () => {
    const id = nextId();
    const r = await runInBackground(root, id, TRAP_TERM, {}, async (pid, launcher) => {
      // The trap is set once sh has read it; before that SIGTERM would kill sh.
      await waitFor("the container's trap", () => catchesSignal(pid, SIGTERM));
      launcher.kill("SIGTERM");
    });
    expect(r.stdout).toBe("ready\ngot TERM\n");
    expect(r.code).toBe(42);
    expectClean(root, id);
  });
});

describe("--pid-file", () => {
  test("holds the container process's pid on the host", async () => {
    const id = nextId();
    const r = await runInBackground(root, id, TRAP_TERM, {}, async (pid, launcher) => {
      const status = statusFields(readFileSync(`/proc/${pid}/status`, "utf8"));
      // The pid on the host, then pid 1 in the container's pid namespace.
      expect(status.NSpid).toBe(`${pid}\t1`);
      // ns writes the file when the container is created, before the init
      // stage executes the process; the trap shows that sh runs.
      await waitFor("the container's trap", () => catchesSignal(pid, SIGTERM));
      expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, 2)).toEqual(["sh", "-c"]);
      launcher.kill("SIGTERM");
    });
    expect(r.code).toBe(42);
    expectClean(root, id);
  });
});

describe("--preserve-fds", () => {
  /** Runs script with --preserve-fds N and the files of contents open as fds 3, 4, ... */
  function runWithFds(script: string, preserve: number, contents: string[]) {
    const id = nextId();
    const bundle = makeBundle((c) => (c.process.args = ["sh", "-c", script, id]));
    const dir = `${bundle.dir}/fds`;
    mkdirSync(dir);
    const fds = contents.map((text, i) => {
      writeFileSync(`${dir}/${i}`, text);
      return openSync(`${dir}/${i}`, "r");
    });
    try {
      const r = spawnSync(NS, ["--root", root, "run", "--preserve-fds", String(preserve), "--bundle", bundle.dir, id], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe", ...fds],
        timeout: 60_000,
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    } finally {
      for (const fd of fds) closeSync(fd);
      bundle.remove();
      expectClean(root, id);
    }
  }

  test("passes fd 3 with N=1 and no fd above it", () => {
    const r = runWithFds("cat <&3; ls /proc/self/fd | sort -n | tr '\\n' ' '", 1, ["fd three\n", "fd four\n"]);
    expect(r.stderr).toBe("");
    // 0-2, the passed fd, and 4 for the directory ls reads.
    expect(r.stdout).toBe("fd three\n0 1 2 3 4 ");
    expect(r.code).toBe(0);
  });

  test("passes fds 3 to 3+N-1 and no others", () => {
    const r = runWithFds("cat <&3; cat <&4; ls /proc/self/fd | sort -n | tr '\\n' ' '", 2, ["fd three\n", "fd four\n", "fd five\n"]);
    expect(r.stderr).toBe("");
    // 0-2, the two passed fds, and 5 for the directory ls reads.
    expect(r.stdout).toBe("fd three\nfd four\n0 1 2 3 4 5 ");
    expect(r.code).toBe(0);
  });
});
