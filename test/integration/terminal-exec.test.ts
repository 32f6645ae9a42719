// ns exec --tty and ns enter -t: an interactive shell started inside a
// running container, driven through a tmux pane.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeBundle, NS, type Bundle } from "../helpers/bundle.ts";
import { leftovers, makeStateRoot, ns, removeStateRoot } from "../helpers/ns.ts";
import { hasTmux, TmuxServer, type TmuxSession, waitForFile } from "../helpers/tmux.ts";

const tmuxMissing = !hasTmux();
if (tmuxMissing) console.warn("tmux is not installed: skipping the exec --tty tests (apt-get install tmux)");

let root: string;
let bundle: Bundle;
let files: string;
let server: TmuxServer;
let id: string;
let counter = 0;

beforeAll(() => {
  root = makeStateRoot();
  files = mkdtempSync(join(tmpdir(), "ns-test-exec-tty-"));
  bundle = makeBundle((c) => {
    c.process.terminal = false;
    c.process.args = ["sleep", "1000"];
  });
  server = new TmuxServer();
  id = `terminal-exec-${process.pid}`;
  // stdio on /dev/null: the container keeps ns's stdio for as long as it runs.
  const r = spawnSync(NS, ["--root", root, "run", "-d", "--bundle", bundle.dir, id], { stdio: "ignore", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`ns run -d ${id} failed with exit code ${r.status}`);
});

afterAll(() => {
  server?.kill();
  ns(root, ["delete", "--force", id]);
  expect(leftovers(root, id)).toEqual([]);
  bundle?.remove();
  rmSync(files, { recursive: true, force: true });
  removeStateRoot(root);
});

interface Exec {
  session: TmuxSession;
  before: string;
  code(): Promise<number>;
  after(): Promise<string>;
}

/** Starts `ns ARGS` in a new pane, recording the pane's settings before and after and ns's exit code. */
async function startNs(args: string[]): Promise<Exec> {
  const name = `exec-${++counter}`;
  const out = join(files, name);
  const command = [`stty -g > ${out}.before`, `${NS} --root ${root} ${args.join(" ")}`, `echo $? > ${out}.code`, `stty -g > ${out}.after`].join("; ");
  const session = server.start(name, command);
  return {
    session,
    before: await waitForFile(`${out}.before`),
    code: async () => Number(await waitForFile(`${out}.code`)),
    after: () => waitForFile(`${out}.after`),
  };
}

describe.skipIf(tmuxMissing)("ns exec --tty", () => {
  test("runs an interactive shell on a new pty", async () => {
    const exec = await startNs(["exec", "--tty", id, "sh"]);
    await exec.session.waitFor("/ #");
    exec.session.line("tty; echo size=$(stty size)");
    const screen = await exec.session.waitFor(/size=\d+ \d+/);
    expect(screen).toMatch(/^\/dev\/pts\/\d+$/m);
    expect(screen).toContain("size=24 80");

    exec.session.resize(90, 20);
    let resized = "";
    for (let attempt = 0; attempt < 20 && !resized.includes("size=20 90"); attempt++) {
      exec.session.line("echo size=$(stty size)");
      await Bun.sleep(100);
      resized = exec.session.screen();
    }
    expect(resized).toContain("size=20 90");

    exec.session.line("sleep 100");
    await Bun.sleep(300);
    exec.session.keys("C-c");
    exec.session.line("echo status=$?");
    await exec.session.waitFor("status=130");

    exec.session.line("exit 6");
    expect(await exec.code()).toBe(6);
    expect(await exec.after()).toBe(exec.before);
  }, 30_000);

  test("gives the pty to the process's user", async () => {
    const exec = await startNs(["exec", "-t", "--user", "1000", id, "sh"]);
    await exec.session.waitFor("/ $");
    exec.session.line("echo owner=$(stat -c %u $(tty)) id=$(id -u)");
    await exec.session.waitFor("owner=1000 id=1000");
    exec.session.keys("C-d");
    expect(await exec.code()).toBe(0);
    expect(await exec.after()).toBe(exec.before);
  }, 30_000);

  test("maps the pty owner into a user namespace", async () => {
    const userns = makeBundle((c) => {
      c.process.terminal = false;
      c.process.args = ["sleep", "1000"];
      c.linux.namespaces.push({ type: "user" });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    // The container's root (uid 100000 on the host) must reach the rootfs.
    chmodSync(userns.dir, 0o755);
    const usernsId = `${id}-userns`;
    try {
      const r = spawnSync(NS, ["--root", root, "run", "-d", "--bundle", userns.dir, usernsId], { stdio: "ignore", timeout: 60_000 });
      expect(r.status).toBe(0);
      const exec = await startNs(["exec", "-t", "--user", "1000", usernsId, "sh"]);
      await exec.session.waitFor("/ $");
      exec.session.line("echo owner=$(stat -c %u $(tty)) id=$(id -u)");
      // ns opens the pty from the host: uid 1000 inside is 101000 outside.
      await exec.session.waitFor("owner=1000 id=1000");
      exec.session.line("exit");
      expect(await exec.code()).toBe(0);
    } finally {
      ns(root, ["delete", "--force", usernsId]);
      userns.remove();
    }
    expect(leftovers(root, usernsId)).toEqual([]);
  }, 30_000);

  test("returns despite a background process", async () => {
    const exec = await startNs(["exec", "-t", id, "sh"]);
    await exec.session.waitFor("/ #");
    const started = performance.now();
    exec.session.line("sleep 30 & exit 2");
    expect(await exec.code()).toBe(2);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await exec.after()).toBe(exec.before);
  }, 30_000);

  test("ns enter -t runs a shell", async () => {
    const exec = await startNs(["enter", "-t", id, "--", "sh"]);
    await exec.session.waitFor("/ #");
    exec.session.line("echo in-$(hostname)-$((3*14))");
    await exec.session.waitFor(/in-.*-42/);
    exec.session.line("exit 4");
    expect(await exec.code()).toBe(4);
    expect(await exec.after()).toBe(exec.before);
  }, 30_000);
});

describe("ns exec --tty without a terminal on the caller's side", () => {
  test("fails with one line", () => {
    const r = spawnSync("setsid", ["-w", NS, "--root", root, "exec", "--tty", id, "sh"], { encoding: "utf8", timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--tty is set, but stdin, stdout and stderr are not terminals");
  });

  test("exec -d --tty without a console socket fails", () => {
    const r = ns(root, ["exec", "-d", "--tty", id, "sh"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("ns: --tty with --detach needs --console-socket to hand the terminal to");
  });
});
