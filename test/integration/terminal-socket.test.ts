// Console sockets: ns sends the pty master to an OCI client (here `ns
// recvtty`, or a socket of the test's own), the bad paths of
// --console-socket, and detached containers without a terminal.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accept4, bindUnix, listen } from "../../src/ffi/console.ts";
import { AF_UNIX, close, pollIn, SOCK_CLOEXEC, SOCK_STREAM, socket } from "../../src/ffi/libc.ts";
import { makeBundle, NS, type Bundle } from "../helpers/bundle.ts";
import { leftovers, makeStateRoot, ns, removeStateRoot } from "../helpers/ns.ts";
import { waitForFile } from "../helpers/tmux.ts";

let root: string;
let bundle: Bundle;
let files: string;
let counter = 0;
const receivers: ChildProcessWithoutNullStreams[] = [];

beforeAll(() => {
  root = makeStateRoot();
  files = mkdtempSync(join(tmpdir(), "ns-test-console-"));
  bundle = makeBundle((c) => {
    c.process.terminal = true;
    c.process.args = ["sh"];
  });
});

afterAll(() => {
  for (const receiver of receivers) receiver.kill("SIGKILL");
  bundle?.remove();
  rmSync(files, { recursive: true, force: true });
  removeStateRoot(root);
});

function nextId(): string {
  return `terminal-sock-${process.pid}-${++counter}`;
}

/** Polls `ns state` until the container has stopped; returns the last status seen. */
async function waitStopped(id: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let status = "";
  while (Date.now() < deadline) {
    status = JSON.parse(ns(root, ["state", id]).stdout).status;
    if (status === "stopped") break;
    await Bun.sleep(100);
  }
  return status;
}

/**
 * `ns ARGS` for commands that may leave a container running with ns's
 * stdio: stderr goes to a file, since spawnSync would wait for a pipe
 * until the container closes its copy.
 */
function nsQuiet(args: string[]): { code: number; stderr: string } {
  const errors = join(files, `stderr-${++counter}`);
  const fd = openSync(errors, "w");
  try {
    const r = spawnSync(NS, ["--root", root, ...args], { stdio: ["ignore", "ignore", fd], timeout: 60_000 });
    return { code: r.status ?? -1, stderr: readFileSync(errors, "utf8") };
  } finally {
    closeSync(fd);
  }
}

/** Writes the bundle's process for the next test, with a terminal unless options.terminal is false. */
function setProcess(args: string[], options: { terminal?: boolean; consoleSize?: { height: number; width: number } } = {}): void {
  bundle.config.process.args = args;
  bundle.config.process.terminal = options.terminal ?? true;
  if (options.consoleSize) bundle.config.process.consoleSize = options.consoleSize;
  else delete bundle.config.process.consoleSize;
  bundle.save();
}

/** `ns recvtty` on a new socket, with pipes for stdio; resolves once it listens. */
async function startReceiver(mode: "single" | "null" = "single") {
  const socket = join(files, `console-${++counter}.sock`);
  const pidFile = `${socket}.pid`;
  const child = spawn(NS, ["recvtty", "--mode", mode, "--pid-file", pidFile, socket]);
  receivers.push(child);
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk.toString()));
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk.toString()));
  const exited = new Promise<number>((resolve) => child.on("exit", (code, signal) => resolve(code ?? 128 + (signal ? 9 : 0))));
  await waitForFile(pidFile);
  return {
    socket,
    child,
    exited,
    output: () => output,
    stderr: () => stderr,
    type(text: string) {
      child.stdin.write(text);
    },
    /** Waits until the relayed output contains text; throws with the output after timeoutMs. */
    async waitFor(text: string, timeoutMs = 10_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(text)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(text)}; recvtty wrote:\n${output}\nstderr: ${stderr}`);
        await Bun.sleep(50);
      }
      return output;
    },
  };
}

describe("console socket with ns recvtty", () => {
  test("recvtty drives a shell of run -d", async () => {
    const receiver = await startReceiver();
    const id = nextId();
    setProcess(["sh"], { consoleSize: { height: 33, width: 111 } });
    const r = nsQuiet(["run", "-d", "--console-socket", receiver.socket, "--bundle", bundle.dir, id]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);

    receiver.type("tty; echo size=$(stty size); echo marker-$((6*7))\n");
    const output = await receiver.waitFor("marker-42");
    expect(output).toContain("/dev/pts/0");
    // With no resize from the receiver, the terminal keeps consoleSize.
    expect(output).toContain("size=33 111");

    // The shell's exit hangs the pty up, which ends recvtty.
    receiver.type("exit 3\n");
    expect(await receiver.exited).toBe(0);
    expect(existsSync(receiver.socket)).toBe(false);
    expect(ns(root, ["delete", id]).code).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  }, 30_000);

  test("run without -d waits after sending", async () => {
    const receiver = await startReceiver();
    const id = nextId();
    setProcess(["sh"]);
    const child = spawn(NS, ["--root", root, "run", "--console-socket", receiver.socket, "--bundle", bundle.dir, id], { stdio: ["ignore", "ignore", "pipe"] });
    const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
    receiver.type("echo ready-$((6*7))\n");
    await receiver.waitFor("ready-42");
    receiver.type("exit 9\n");
    // ns returns the exit code of the container, which the receiver ended.
    expect(await exited).toBe(9);
    expect(await receiver.exited).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  }, 30_000);

  test("create hands the terminal to recvtty", async () => {
    const receiver = await startReceiver();
    const id = nextId();
    setProcess(["sh", "-c", "echo started-$((2*21)); read line; echo got-$line"]);
    const created = nsQuiet(["create", "--console-socket", receiver.socket, "--bundle", bundle.dir, id]);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(nsQuiet(["start", id]).code).toBe(0);

    await receiver.waitFor("started-42");
    receiver.type("hello\n");
    await receiver.waitFor("got-hello");
    expect(await receiver.exited).toBe(0);
    expect(ns(root, ["delete", id]).code).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  }, 30_000);

  test("exec -d --tty hands over its terminal", async () => {
    const id = nextId();
    setProcess(["sleep", "1000"], { terminal: false });
    try {
      expect(nsQuiet(["run", "-d", "--bundle", bundle.dir, id]).code).toBe(0);
      const receiver = await startReceiver();
      const r = nsQuiet(["exec", "-d", "--tty", "--user", "1000", "--console-socket", receiver.socket, id, "sh"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);

      receiver.type("tty; echo owner=$(stat -c %u $(tty)) id=$(id -u)\n");
      const output = await receiver.waitFor("id=1000");
      expect(output).toMatch(/\/dev\/pts\/\d+/);
      // The process's user owns its terminal.
      expect(output).toContain("owner=1000");
      receiver.type("exit\n");
      expect(await receiver.exited).toBe(0);
    } finally {
      ns(root, ["delete", "--force", id]);
    }
    expect(leftovers(root, id)).toEqual([]);
  }, 30_000);

  test("null mode drains every terminal", async () => {
    const receiver = await startReceiver("null");
    // 1 MB of output each: far beyond what a pty buffers (tens of KB), so
    // the containers finish only if recvtty reads their terminals.
    setProcess(["sh", "-c", "yes | head -c 1000000; exit 5"]);
    const ids = [nextId(), nextId()];
    for (const id of ids) {
      const r = nsQuiet(["run", "-d", "--console-socket", receiver.socket, "--bundle", bundle.dir, id]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
    for (const id of ids) {
      expect(await waitStopped(id, 20_000)).toBe("stopped");
      expect(ns(root, ["delete", id]).code).toBe(0);
      expect(leftovers(root, id)).toEqual([]);
    }
    expect(receiver.output()).toBe("");

    receiver.child.kill("SIGTERM");
    await receiver.exited;
    expect(existsSync(receiver.socket)).toBe(false);
  }, 60_000);

  test("recvtty rejects a socket path that exists", () => {
    const path = join(files, "taken");
    writeFileSync(path, "");
    const r = spawnSync(NS, ["recvtty", path], { encoding: "utf8", timeout: 10_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`ns: recvtty: "${path}" already exists (remove it, or choose another path)`);
  });
});

describe("bad console sockets", () => {
  /** Runs `ns run -d --console-socket path` and checks the one line and that nothing is left. */
  function runWithSocket(path: string): { code: number; stderr: string; id: string } {
    const id = nextId();
    setProcess(["sh"]);
    const r = nsQuiet(["run", "-d", "--console-socket", path, "--bundle", bundle.dir, id]);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(leftovers(root, id)).toEqual([]);
    return { ...r, id };
  }

  test("missing socket path fails early", () => {
    const path = join(files, "missing.sock");
    const r = runWithSocket(path);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--console-socket "${path}": no such file or directory`);
  });

  test("plain file is rejected", () => {
    const path = join(files, "plain-file");
    writeFileSync(path, "");
    const r = runWithSocket(path);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--console-socket "${path}": not a unix socket`);
  });

  test("socket without a listener is refused", () => {
    const path = join(files, "stale.sock");
    // A socket file that is bound but not listening, like one a receiver left behind.
    const fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
    try {
      bindUnix(fd, path);
      const r = runWithSocket(path);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`--console-socket "${path}": connection refused (nothing is listening on it)`);
    } finally {
      close(fd);
    }
  });

  test("receiver closing early fails the run", async () => {
    const path = join(files, "closing.sock");
    const listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
    try {
      bindUnix(listener, path);
      listen(listener, 1);
      const id = nextId();
      setProcess(["sh"]);
      const child = spawn(NS, ["--root", root, "run", "-d", "--console-socket", path, "--bundle", bundle.dir, id], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk) => (stderr += chunk.toString()));
      const exited = new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? -1)));
      // ns connects before it creates anything, and sends the terminal once
      // the container has one: close the connection in between.
      expect(pollIn(listener, 10_000)).toBe(true);
      close(accept4(listener, SOCK_CLOEXEC));
      expect(await exited).toBe(1);
      expect(stderr.trim()).toBe(`ns: --console-socket "${path}": the receiver closed the connection before ns could send the terminal`);
      expect(leftovers(root, id)).toEqual([]);
    } finally {
      close(listener);
    }
  }, 30_000);

  test("console socket without terminal is rejected", () => {
    const id = nextId();
    setProcess(["sh"], { terminal: false });
    const r = nsQuiet(["run", "-d", "--console-socket", join(files, "unused.sock"), "--bundle", bundle.dir, id]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("ns: --console-socket: process.terminal is false, so there is no terminal to send (set it to true, or drop the option)");
    expect(leftovers(root, id)).toEqual([]);
  });

  test("run -d with a terminal needs a console socket", () => {
    const id = nextId();
    setProcess(["sh"]);
    const r = nsQuiet(["run", "-d", "--bundle", bundle.dir, id]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("(ns create, ns run -d) needs --console-socket");
    expect(leftovers(root, id)).toEqual([]);
  });
});

describe("detached without a terminal", () => {
  test("run -d returns while the container holds its pipe", async () => {
    const id = nextId();
    setProcess(["sh", "-c", "echo started; sleep 2; echo done"], { terminal: false });
    const started = performance.now();
    const child = spawn(NS, ["--root", root, "run", "-d", "--bundle", bundle.dir, id], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk.toString()));
    const ended = new Promise<number>((resolve) => child.stdout.on("end", () => resolve(performance.now() - started)));
    const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? -1)));
    const nsDone = performance.now() - started;
    expect(code).toBe(0);
    // ns itself returns while the container still runs ...
    expect(nsDone).toBeLessThan(1500);
    // ... and the container's copy of the pipe closes when it exits.
    const pipeDone = await Promise.race([ended, Bun.sleep(15_000).then(() => -1)]);
    expect(pipeDone).toBeGreaterThan(1500);
    expect(stdout).toBe("started\ndone\n");
    expect(await waitStopped(id)).toBe("stopped");
    expect(ns(root, ["delete", id]).code).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  }, 30_000);
});
