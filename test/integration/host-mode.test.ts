// The zero-config mode, `ns run -- CMD`: CMD runs on a read-only view of the
// host with a fresh /proc, /dev and /tmp, in the caller's working directory
// and environment, and its exit code passes through.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeStateRoot, mountLeftovers, ns, removeStateRoot } from "../helpers/ns.ts";
import { expectOneLineError, sections, statusFields } from "../helpers/run.ts";

// Each test starts containers, which takes longer than bun's 5 s default on a busy machine.
setDefaultTimeout(60_000);

let root: string;
/** A working directory outside /tmp, which the container covers with its own tmpfs. */
let workdir: string;
let counter = 0;

beforeAll(() => {
  root = makeStateRoot();
  workdir = mkdtempSync("/var/tmp/ns-test-host-");
  writeFileSync(`${workdir}/input.txt`, "from the caller's directory\n");
});

afterAll(() => {
  rmSync(workdir, { recursive: true, force: true });
  removeStateRoot(root);
});

/** Runs `ns run -- sh -c script MARKER` from workdir and checks that nothing is left. */
function hostRun(script: string, env: Record<string, string> = {}) {
  const marker = `host-mode-${process.pid}-${++counter}`;
  const r = ns(root, ["run", "--", "sh", "-c", script, marker], { cwd: workdir, env: { ...process.env, ...env } as Record<string, string> });
  expectNothingLeft(marker);
  return r;
}

/** Expects no container in the state root, no mount that mentions it and no process with the marker. */
function expectNothingLeft(marker: string): void {
  const entries = readdirSync(root).filter((name) => name !== ".ns-exe");
  expect(entries).toEqual([]);
  expect(mountLeftovers(root)).toEqual([]);
  expect(readdirSync("/proc").filter((p) => /^\d+$/.test(p) && cmdlineOf(p).includes(marker))).toEqual([]);
}

function cmdlineOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

describe("ns run -- CMD", () => {
  test("runs CMD as pid 1 with a fresh /proc", () => {
    const r = hostRun("echo \"pid=$$\"; ls /proc | grep -c '^[0-9]'; tr '\\0' ' ' < /proc/1/cmdline");
    expect(r.stderr).toBe("");
    const [pid, count, cmdline] = r.stdout.split("\n");
    expect(pid).toBe("pid=1");
    // sh, and ls and grep of the pipeline.
    expect(Number(count)).toBeLessThanOrEqual(3);
    expect(cmdline).toStartWith("sh -c ");
  });

  test("passes the exit code through", () => {
    expect(hostRun("exit 0").code).toBe(0);
    expect(hostRun("exit 5").code).toBe(5);
  });

  test("sees the host's files, read-only", () => {
    const r = hostRun("cat /etc/hostname; touch /etc/ns-test-probe 2>&1; touch \"$PWD/probe\" 2>&1; true");
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(readFileSync("/etc/hostname", "utf8").trim());
    expect(lines[1]).toContain("Read-only file system");
    expect(lines[2]).toContain("Read-only file system");
  });

  test("gives a writable, empty /tmp of its own", () => {
    const mine = mkdtempSync(join(tmpdir(), "ns-test-host-tmp-"));
    try {
      const r = hostRun(`ls -A /tmp; echo '== write'; echo data > /tmp/new && cat /tmp/new; awk '$5 == "/tmp"' /proc/self/mountinfo | tail -1 | sed 's/.* - //' | cut -d' ' -f1`);
      const out = sections(`== ls\n${r.stdout}`);
      expect(out.ls).toBe("");
      expect(out.write).toBe("data\ntmpfs");
      expect(readdirSync(mine)).toEqual([]);
    } finally {
      rmSync(mine, { recursive: true, force: true });
    }
  });

  test("gives a fresh /dev with the default devices", () => {
    // The last mount at /dev is the one on top, over the host's read-only /dev.
    const r = hostRun("ls /dev | tr '\\n' ' '; awk '$5 == \"/dev\"' /proc/self/mountinfo | tail -1 | sed 's/.* - //' | cut -d' ' -f1");
    expect(r.stdout).toBe("fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero tmpfs\n");
  });

  test("keeps the caller's cwd and environment", () => {
    const r = hostRun("pwd; cat input.txt; echo \"$NS_TEST_VALUE\"", { NS_TEST_VALUE: "from the caller" });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`${workdir}\nfrom the caller's directory\nfrom the caller\n`);
  });

  test("uses new mount, pid, uts and ipc namespaces", () => {
    const r = hostRun("for f in mnt pid uts ipc net user; do echo \"$f $(readlink /proc/self/ns/$f)\"; done; echo '== cgroup'; cat /proc/self/cgroup");
    const out = sections(`== ns\n${r.stdout}`);
    const links = Object.fromEntries(out.ns!.split("\n").map((line) => line.split(" ")));
    for (const file of ["mnt", "pid", "uts", "ipc"]) expect(links[file]).not.toBe(readlinkSync(`/proc/self/ns/${file}`));
    for (const file of ["net", "user"]) expect(links[file]).toBe(readlinkSync(`/proc/self/ns/${file}`));
    // The caller's cgroups, since the zero-config mode makes none.
    expect(out.cgroup).toBe(readFileSync("/proc/self/cgroup", "utf8").trim());
  });

  test("keeps Docker's default capabilities and no_new_privs", () => {
    const r = hostRun("grep -E '^(CapBnd|CapEff|NoNewPrivs):' /proc/self/status");
    const fields = statusFields(r.stdout);
    expect(fields.CapBnd).toBe("00000000a80425fb");
    expect(fields.CapEff).toBe("00000000a80425fb");
    expect(fields.NoNewPrivs).toBe("1");
  });

  test("reports a missing program with exit code 127", () => {
    const marker = `host-mode-${process.pid}-${++counter}`;
    const r = ns(root, ["run", "--", `no-such-program-${marker}`], { cwd: workdir });
    expect(r.code).toBe(127);
    expectOneLineError(r.stderr, `no-such-program-${marker}`, "not found");
    expectNothingLeft(marker);
  });

  test("masks /proc/keys and /sys/firmware", () => {
    const r = hostRun("wc -c < /proc/keys; ls -A /sys/firmware | wc -l");
    expect(r.stdout).toBe("0\n0\n");
  });

  // The sandbox shares the host's network namespace: a writable /proc/sys/net would change the host.
  test("keeps /proc/sys read-only", () => {
    const r = hostRun("awk '$5 == \"/proc/sys\" {print $6}' /proc/self/mountinfo");
    expect(r.stdout.split(",")[0]).toBe("ro");
  });

  test("leaves the state root empty", () => {
    hostRun("true");
    expect(readdirSync(root)).toEqual([]);
  });
});
