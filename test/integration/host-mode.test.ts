// The zero-config mode, `ns run -- CMD`: CMD runs on a read-only view of the
// host with a fresh /proc, /dev and /tmp, in the caller's working directory
// and environment, and its exit code passes through.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NS } from "../helpers/bundle.ts";
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
  const entries = readdirSync(root);
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

  test("keeps Docker's capabilities but CAP_MKNOD", () => {
    const r = hostRun("grep -E '^(CapBnd|CapEff|NoNewPrivs):' /proc/self/status");
    const fields = statusFields(r.stdout);
    // Docker's default set (0xa80425fb) without CAP_MKNOD (bit 27).
    expect(fields.CapBnd).toBe("00000000a00425fb");
    expect(fields.CapEff).toBe("00000000a00425fb");
    expect(fields.NoNewPrivs).toBe("1");
  });

  test("cannot open a host device", () => {
    // mknod fails without CAP_MKNOD, and the host's tree is mounted nodev.
    const r = hostRun("mknod /tmp/disk b 7 0 2>/dev/null; echo mknod=$?; head -c1 /dev/full >/dev/null && echo ok");
    expect(r.stdout).toBe("mknod=1\nok\n");
    const mounts = hostRun("awk '$5 == \"/usr\" || $5 == \"/\" {print $6}' /proc/self/mountinfo");
    for (const options of mounts.stdout.trim().split("\n")) expect(options.split(",")).toContain("nodev");
  });

  test("hides the host's /run", () => {
    const r = hostRun("ls -A /run | wc -l");
    expect(r.stdout).toBe("0\n");
  });

  test("ends the command on SIGTERM although it is pid 1", async () => {
    const marker = `host-mode-${process.pid}-${++counter}`;
    const child = Bun.spawn([NS, "--root", root, "run", "--", "sh", "-c", `sleep 30 # ${marker}`], { cwd: workdir, stdout: "pipe", stderr: "pipe" });
    await Bun.sleep(500);
    child.kill("SIGTERM");
    const code = await Promise.race([child.exited, Bun.sleep(10_000).then(() => -1)]);
    expect(code).toBe(128 + 15);
    expectNothingLeft(marker);
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
