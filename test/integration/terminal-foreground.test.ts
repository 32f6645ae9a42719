// ns run with process.terminal in the foreground: a shell driven through a
// real terminal (a tmux pane), the caller's terminal settings before and
// after, window sizes, ^C and ^D, and every way out of ns.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeBundle, NS, type Bundle } from "../helpers/bundle.ts";
import { leftovers, makeStateRoot, ns, removeStateRoot } from "../helpers/ns.ts";
import { hasTmux, TmuxServer, type TmuxSession, waitForExitOf, waitForFile } from "../helpers/tmux.ts";

const tmuxMissing = !hasTmux();
if (tmuxMissing) console.warn("tmux is not installed: skipping the terminal tests (apt-get install tmux)");

let root: string;
let bundle: Bundle;
let files: string;
let server: TmuxServer;
let counter = 0;

beforeAll(() => {
  root = makeStateRoot();
  files = mkdtempSync(join(tmpdir(), "ns-test-terminal-"));
  bundle = makeBundle((c) => {
    c.process.terminal = true;
    c.process.args = ["sh"];
  });
  server = new TmuxServer();
});

afterAll(() => {
  server?.kill();
  bundle?.remove();
  rmSync(files, { recursive: true, force: true });
  removeStateRoot(root);
});

interface Run {
  id: string;
  session: TmuxSession;
  /** `stty -g` of the pane before ns started. */
  before: string;
  /** Resolves with ns's exit code. */
  code(): Promise<number>;
  /** `stty -g` of the pane after ns returned. */
  after(): Promise<string>;
}

/**
 * Starts `ns run` with args in a new pane. A wrapper records the pane's
 * terminal settings before and after, and ns's exit code, in files.
 */
async function startRun(args: string[], options: { stdin?: string; width?: number; height?: number } = {}): Promise<Run> {
  const id = `terminal-fg-${process.pid}-${++counter}`;
  bundle.config.process.args = args;
  bundle.save();
  const out = join(files, id);
  const redirect = options.stdin ? ` < ${options.stdin}` : "";
  const command = [
    `stty -g > ${out}.before`,
    `${NS} --root ${root} run --bundle ${bundle.dir} ${id}${redirect}`,
    `echo $? > ${out}.code`,
    `stty -g > ${out}.after`,
  ].join("; ");
  const session = server.start(id, command, options.width ?? 80, options.height ?? 24);
  const before = await waitForFile(`${out}.before`);
  return {
    id,
    session,
    before,
    code: async () => Number(await waitForFile(`${out}.code`)),
    after: () => waitForFile(`${out}.after`),
  };
}

/** Returns the pid of the ns process that the pane's shell runs. */
function nsPid(session: TmuxSession): number {
  const r = spawnSync("pgrep", ["-P", String(session.panePid()), "-x", "ns"], { encoding: "utf8" });
  const pid = Number(r.stdout.trim().split("\n")[0]);
  if (!pid) throw new Error(`no ns process under the pane's shell ${session.panePid()}`);
  return pid;
}

describe.skipIf(tmuxMissing)("ns run with a terminal", () => {
  test("pty is stdio and /dev/console", async () => {
    const run = await startRun(["sh"]);
    await run.session.waitFor("/ #");
    run.session.line("tty; stat -c 'device %t:%T' /dev/console $(tty); echo uid=$(stat -c %u $(tty)) gid=$(stat -c %g $(tty))");
    const screen = await run.session.waitFor(/uid=\d+ gid=\d+/);
    expect(screen).toContain("/dev/pts/0");
    const devices = screen.match(/device [0-9a-f]+:[0-9a-f]+/g) ?? [];
    expect(devices.length).toBe(2);
    expect(devices[0]).toBe(devices[1]!);
    // The group is devpts' gid=5 from the config of `ns spec`, not the user's.
    expect(screen).toContain("uid=0 gid=5");

    run.session.line("exit 0");
    expect(await run.code()).toBe(0);
    expect(await run.after()).toBe(run.before);
    expect(leftovers(root, run.id)).toEqual([]);
  }, 30_000);

  test("window size follows the caller's terminal", async () => {
    const run = await startRun(["sh"], { width: 80, height: 24 });
    await run.session.waitFor("/ #");
    run.session.line("echo size=$(stty size)");
    await run.session.waitFor("size=24 80");

    run.session.resize(100, 30);
    // SIGWINCH reaches ns asynchronously: ask until the new size shows.
    let screen = "";
    for (let attempt = 0; attempt < 20 && !screen.includes("size=30 100"); attempt++) {
      run.session.line("echo size=$(stty size)");
      await Bun.sleep(100);
      screen = run.session.screen();
    }
    expect(screen).toContain("size=30 100");

    run.session.line("exit");
    expect(await run.code()).toBe(0);
    expect(await run.after()).toBe(run.before);
  }, 30_000);

  test("Ctrl-C reaches the container, not ns", async () => {
    const run = await startRun(["sh"]);
    await run.session.waitFor("/ #");
    run.session.line("sleep 100");
    await Bun.sleep(300);
    run.session.keys("C-c");
    run.session.line("echo status=$?");
    await run.session.waitFor("status=130");
    // ns and the shell are still running and respond.
    run.session.line("echo still-$((40+2))");
    await run.session.waitFor("still-42");

    run.session.line("exit 0");
    expect(await run.code()).toBe(0);
    expect(await run.after()).toBe(run.before);
  }, 30_000);

  test("Ctrl-D returns the shell's exit code", async () => {
    const run = await startRun(["sh"]);
    await run.session.waitFor("/ #");
    run.session.line("false");
    await Bun.sleep(200);
    run.session.keys("C-d");
    expect(await run.code()).toBe(1);
    expect(await run.after()).toBe(run.before);
    expect(leftovers(root, run.id)).toEqual([]);
  }, 30_000);

  test("SIGTERM to ns is forwarded", async () => {
    const run = await startRun(["sh", "-c", 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done']);
    await run.session.waitFor("ready");
    const tty = run.session.paneTty();
    const during = spawnSync("stty", ["-F", tty, "-g"], { encoding: "utf8" }).stdout.trim();
    // While the container runs, the caller's terminal is raw.
    expect(during).not.toBe(run.before);

    process.kill(nsPid(run.session), "SIGTERM");
    expect(await run.code()).toBe(7);
    expect(await run.after()).toBe(run.before);
    expect(leftovers(root, run.id)).toEqual([]);
  }, 30_000);

  test("killed container restores the terminal", async () => {
    const run = await startRun(["sh"]);
    await run.session.waitFor("/ #");
    const killed = ns(root, ["kill", run.id, "KILL"]);
    expect(killed.stderr).toBe("");
    expect(await run.code()).toBe(137);
    expect(await run.after()).toBe(run.before);
    expect(leftovers(root, run.id)).toEqual([]);
  }, 30_000);

  test("failed exec restores the terminal", async () => {
    const run = await startRun(["/nonexistent"], { width: 120 });
    // The init stage sends the pty before it looks the program up.
    expect(await run.code()).toBe(127);
    expect(run.session.screen()).toContain('ns: exec "/nonexistent": no such file or directory');
    expect(await run.after()).toBe(run.before);
    expect(leftovers(root, run.id)).toEqual([]);
  }, 30_000);

  test("closing the caller's terminal leaves nothing behind", async () => {
    const run = await startRun(["sh"]);
    await run.session.waitFor("/ #");
    const pid = nsPid(run.session);
    // The pane's terminal hangs up: ns gets SIGHUP and forwards it to the shell.
    run.session.kill();
    await waitForExitOf(pid);
    expect(leftovers(root, run.id)).toEqual([]);
  }, 30_000);

  test("closing an output-only terminal ends the shell", async () => {
    const id = `terminal-fg-${process.pid}-${++counter}`;
    bundle.config.process.args = ["sh"];
    bundle.save();
    // stdin is a pipe that never delivers, so only stdout is the terminal,
    // and the shell (pid 1, so deaf to the forwarded SIGHUP) waits for input.
    const session = server.start(id, `sleep 600 | ${NS} --root ${root} run --bundle ${bundle.dir} ${id}`);
    await session.waitFor("/ #");
    const pid = nsPid(session);
    session.kill();
    // ns notices the hangup, hangs up the container's pty, and the shell reads end of file.
    await waitForExitOf(pid);
    expect(leftovers(root, id)).toEqual([]);
  }, 30_000);

  test("end of file input reaches the container", async () => {
    const input = join(files, "input.txt");
    writeFileSync(input, "from-file\n");
    // cat, not an interactive shell: ash changes the terminal's mode for its
    // line editing as it starts, so input that arrives before its first
    // prompt may be lost. cat reads in canonical mode throughout.
    const run = await startRun(["sh", "-c", "cat; echo after-eof-$((6*7))"], { stdin: input });
    // cat reads the line, then the ^D that ends the file, and exits.
    expect(await run.code()).toBe(0);
    const screen = await run.session.waitFor("after-eof-42");
    expect(screen).toContain("from-file");
    // stdin is not the terminal, so ns left the terminal's mode alone.
    expect(await run.after()).toBe(run.before);
    expect(leftovers(root, run.id)).toEqual([]);
  }, 30_000);

  test("background job is rejected", async () => {
    const id = `terminal-fg-${process.pid}-${++counter}`;
    bundle.config.process.args = ["sh"];
    bundle.save();
    // An interactive bash has job control: `&` puts ns in a background process group.
    const session = server.start(id, "PS1='job-shell$ ' bash --norc --noprofile -i", 200, 24);
    await session.waitFor("job-shell$");
    session.line(`${NS} --root ${root} run --bundle ${bundle.dir} ${id} & wait $!; echo code=$?`);
    const screen = await session.waitFor(/code=\d+/);
    expect(screen).toContain("code=1");
    expect(screen).toContain("ns: process.terminal is true, but ns is a background job of its terminal");
    expect(leftovers(root, id)).toEqual([]);
  }, 30_000);

  test("a large paste reaches the container whole", async () => {
    const run = await startRun(["sh"]);
    await run.session.waitFor("/ #");
    run.session.line("cat > /dev/shm/paste; echo lines=$(wc -l < /dev/shm/paste) bytes=$(wc -c < /dev/shm/paste)");
    await Bun.sleep(300);
    // 40000 bytes: ten times the line discipline's buffer, while cat's
    // output (the echo) flows back at the same time.
    const paste = join(files, "paste.txt");
    writeFileSync(paste, `${"p".repeat(99)}\n`.repeat(400));
    server.tmux("load-buffer", "-b", run.id, paste);
    server.tmux("paste-buffer", "-b", run.id, "-t", run.id);
    await Bun.sleep(500);
    run.session.keys("C-d");
    await run.session.waitFor("lines=400 bytes=40000", 20_000);

    run.session.line("exit 0");
    expect(await run.code()).toBe(0);
    expect(await run.after()).toBe(run.before);
  }, 40_000);
});

describe("ns run with a terminal but none on the caller's side", () => {
  test("fails with one line and leaves nothing behind", () => {
    const id = `terminal-fg-${process.pid}-none`;
    bundle.config.process.args = ["sh"];
    bundle.save();
    // setsid: no controlling terminal either, and stdio are pipes.
    const r = spawnSync("setsid", ["-w", NS, "--root", root, "run", "--bundle", bundle.dir, id], { encoding: "utf8", timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("process.terminal is true, but stdin, stdout and stderr are not terminals");
    expect(leftovers(root, id)).toEqual([]);
  });
});
