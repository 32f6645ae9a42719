// ns and runc side by side: the same bundle runs under `runc run` (runc 1.1.5
// here) and under `ns run`, the same probe script reports what the container
// sees, and the reports must match once the parts that differ by nature (mount
// ids, device numbers of pseudo filesystems, peer group numbers, dates) are
// taken out. Where ns differs from runc on purpose, the test states it and
// checks ns's side.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { busyboxRootfs, NS } from "../helpers/bundle.ts";
import { makeStateRoot, mountLeftovers, removeStateRoot } from "../helpers/ns.ts";
import { expectClean, host, sections } from "../helpers/run.ts";

const runcMissing = spawnSync("runc", ["--version"]).status !== 0;
if (runcMissing) console.warn("skipping the runc parity tests: they need runc (Debian: apt-get install runc)");
const it = test.skipIf(runcMissing);

// Each test starts containers, which takes longer than bun's 5 s default on a busy machine.
setDefaultTimeout(60_000);

let nsRoot: string;
let runcRoot: string;
let fixtures: string;
let counter = 0;

beforeAll(() => {
  nsRoot = makeStateRoot();
  runcRoot = mkdtempSync(join(tmpdir(), "ns-test-runc-root-"));
  fixtures = mkdtempSync(join(tmpdir(), "ns-test-parity-"));
  host(["mkdir", "-p", `${fixtures}/dir/sub`]);
  writeFileSync(`${fixtures}/dir/file`, "in dir\n");
  writeFileSync(`${fixtures}/single`, "single file\n");
  host(["mount", "-t", "tmpfs", "-o", "size=1m", "ns-test-parity", `${fixtures}/dir/sub`]);
});

afterAll(() => {
  if (mountLeftovers(` ${fixtures}/dir/sub `).length > 0) host(["umount", `${fixtures}/dir/sub`]);
  rmSync(fixtures, { recursive: true, force: true });
  rmSync(runcRoot, { recursive: true, force: true });
  removeStateRoot(nsRoot);
});

/** What the container reports, one "== NAME" section each. */
const PROBE = [
  "echo '== mountinfo'; cat /proc/self/mountinfo",
  "echo '== dev'; ls -la /dev",
  "echo '== caps'; grep -E '^Cap' /proc/self/status",
  "echo '== ids'; id; grep -E '^(Uid|Gid|Groups):' /proc/self/status",
  "echo '== env'; env | sort",
  "echo '== rlimits'; ulimit -a",
  "echo '== umask'; umask",
  "echo '== cwd'; pwd",
  "echo '== hostname'; hostname",
  "echo '== status'; grep -E '^(NoNewPrivs|Seccomp|SigBlk):' /proc/self/status",
  "echo '== oom'; cat /proc/self/oom_score_adj",
].join("; ");

interface Bundle {
  dir: string;
  config: any;
}

/** Makes a bundle whose config.json comes from `GENERATOR spec`, with the probe as its process. */
function makeSpecBundle(generator: "ns" | "runc", id: string, edit?: (config: any) => void): Bundle {
  const dir = mkdtempSync(join(tmpdir(), `ns-test-parity-${generator}-`));
  chmodSync(dir, 0o755);
  cpSync(busyboxRootfs(), `${dir}/rootfs`, { recursive: true, verbatimSymlinks: true });
  host([generator === "ns" ? NS : "runc", "spec", "--bundle", dir]);
  const config = JSON.parse(readFileSync(`${dir}/config.json`, "utf8"));
  config.process.terminal = false;
  config.process.args = ["sh", "-c", PROBE, id];
  // A cgroup at the top of each hierarchy, which both runtimes remove on exit;
  // without one, runc nests it under its caller's cgroup.
  config.linux.cgroupsPath = `/${id}`;
  edit?.(config);
  writeFileSync(`${dir}/config.json`, JSON.stringify(config, null, 2));
  return { dir, config };
}

interface Report {
  code: number | null;
  stderr: string;
  out: Record<string, string>;
}

function runWith(runtime: "ns" | "runc", bundle: Bundle, id: string): Report {
  const argv = runtime === "ns" ? [NS, "--root", nsRoot, "run", "--bundle", bundle.dir, id] : ["runc", "--root", runcRoot, "run", "--bundle", bundle.dir, id];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
  return { code: r.status, stderr: r.stderr, out: sections(r.stdout) };
}

/** Runs the bundle under runc, then under ns, and checks that neither left anything. */
function runBoth(bundle: Bundle, id: string): { ns: Report; runc: Report } {
  let runc: Report;
  try {
    runc = runWith("runc", bundle, id);
  } finally {
    spawnSync("runc", ["--root", runcRoot, "delete", "--force", id], { stdio: "ignore" });
  }
  expect(cgroupDirs(id)).toEqual([]);
  const ns = runWith("ns", bundle, id);
  expectClean(nsRoot, id);
  expect(cgroupDirs(id)).toEqual([]);
  return { ns, runc };
}

/** The cgroup directories named /ID under each hierarchy; runc and ns must both remove theirs. */
function cgroupDirs(id: string): string[] {
  const found = readdirSync("/sys/fs/cgroup")
    .map((h) => `/sys/fs/cgroup/${h}/${id}`)
    .filter((dir) => existsSync(dir));
  for (const dir of found) spawnSync("rmdir", [dir]);
  return found;
}

interface MountLine {
  root: string;
  options: string;
  propagation: string;
  fsType: string;
  source: string;
  superOptions: string;
}

/**
 * Parses mountinfo into a table keyed by mount point, without what differs
 * between any two runs: mount ids, device numbers and peer group numbers. A
 * cgroup hierarchy's root is the container's cgroup, whose path each runtime
 * picks, so it is left out too.
 */
function mountTable(text: string): Record<string, MountLine> {
  const table: Record<string, MountLine> = {};
  for (const line of text.split("\n").filter(Boolean)) {
    const fields = line.split(" ");
    const dash = fields.indexOf("-", 6);
    const fsType = fields[dash + 1]!;
    const entry: MountLine = {
      root: fsType === "cgroup" || fsType === "cgroup2" ? "<cgroup>" : fields[3]!,
      options: fields[5]!,
      propagation: fields.slice(6, dash).map((o) => o.replace(/:\d+$/, "")).sort().join(" "),
      fsType,
      source: fields[dash + 2]!,
      superOptions: fields[dash + 3]!,
    };
    let point = fields[4]!;
    while (table[point]) point += " (again)";
    table[point] = entry;
  }
  return table;
}

/** `ls -la /dev` without the dates: "mode links owner group size-or-device name" per entry. */
function devTable(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line && !line.startsWith("total"))
    .map((line) => {
      const m = /^(\S+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\d+,\s*\d+|\d+)\s+\w{3}\s+\d+\s+[\d:]+\s+(.*)$/.exec(line);
      if (!m) return `unparsed: ${line}`;
      return [m[1], m[2], m[3], m[4], m[5]!.replace(/\s+/g, ""), m[6]].join(" ");
    })
    .sort();
}

/**
 * ns differs from runc 1.1.5 in the cgroup mount on purpose:
 * - the tmpfs at /sys/fs/cgroup is read-only, because the config requests
 *   "ro". runc 1.1.5 applies "ro" only to the hierarchies in it.
 * - on a host with cgroup v1 and a cgroup2 hierarchy (hybrid), ns also binds
 *   /sys/fs/cgroup/unified, so that the container sees all its cgroups.
 * This checks ns's side of each and removes both from the tables.
 */
function takeOutCgroupDifferences(ns: Record<string, MountLine>, runc: Record<string, MountLine>): void {
  const nsTmpfs = ns["/sys/fs/cgroup"];
  const runcTmpfs = runc["/sys/fs/cgroup"];
  if (nsTmpfs && runcTmpfs) {
    expect(nsTmpfs.options.split(",")[0]).toBe("ro");
    expect(runcTmpfs.options.split(",")[0]).toBe("rw");
    delete ns["/sys/fs/cgroup"];
    delete runc["/sys/fs/cgroup"];
  }
  if (ns["/sys/fs/cgroup/unified"] && !runc["/sys/fs/cgroup/unified"]) {
    expect(ns["/sys/fs/cgroup/unified"]!.fsType).toBe("cgroup2");
    delete ns["/sys/fs/cgroup/unified"];
  }
}

/** Compares every section of the two reports, each with its own assertion. */
function expectSameView(reports: { ns: Report; runc: Report }): void {
  const { ns, runc } = reports;
  expect(runc.stderr).toBe("");
  expect(ns.stderr).toBe("");
  expect(ns.code).toBe(runc.code);
  const nsMounts = mountTable(ns.out.mountinfo ?? "");
  const runcMounts = mountTable(runc.out.mountinfo ?? "");
  takeOutCgroupDifferences(nsMounts, runcMounts);
  expect(nsMounts).toEqual(runcMounts);
  expect(devTable(ns.out.dev ?? "")).toEqual(devTable(runc.out.dev ?? ""));
  for (const section of ["caps", "ids", "env", "rlimits", "umask", "cwd", "hostname", "status", "oom"]) {
    expect({ section, text: ns.out[section] }).toEqual({ section, text: runc.out[section] });
  }
}

function nextId(): string {
  return `ns-test-parity-${process.pid}-${++counter}`;
}

/** Runs the same bundle under both runtimes; compare() also checks that the container saw the same. */
function runBundle(generator: "ns" | "runc", edit?: (config: any) => void, prepare?: (bundle: Bundle) => void) {
  const id = nextId();
  const bundle = makeSpecBundle(generator, id, edit);
  try {
    prepare?.(bundle);
    return runBoth(bundle, id);
  } finally {
    rmSync(bundle.dir, { recursive: true, force: true });
  }
}

function compare(generator: "ns" | "runc", edit?: (config: any) => void) {
  const reports = runBundle(generator, edit);
  expectSameView(reports);
  return reports;
}

const USER_NAMESPACE = (c: any) => {
  c.linux.namespaces.push({ type: "user" });
  c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
};

const CHOWN_ROOTFS = (bundle: Bundle) => host(["chown", "-R", "100000:100000", `${bundle.dir}/rootfs`]);

/** Removes the /dev/mqueue line from the report's `ls -la /dev` and returns it parsed, for a check of its own. */
function takeOutMqueue(report: Report): string | undefined {
  const lines = (report.out.dev ?? "").split("\n");
  const mqueue = lines.find((line) => line.endsWith(" mqueue"));
  report.out.dev = lines.filter((line) => line !== mqueue).join("\n");
  return mqueue === undefined ? undefined : devTable(mqueue)[0];
}

describe("ns and runc", () => {
  it("see the same container in a bundle from ns spec", () => {
    const { ns } = compare("ns");
    expect(ns.code).toBe(0);
  });

  it("see the same container in a bundle from runc spec", () => {
    const { ns } = compare("runc");
    expect(ns.code).toBe(0);
  });

  it("apply mounts, devices, user, capabilities and limits alike", () => {
    const { ns } = compare("ns", (c) => {
      c.hostname = "parity";
      c.mounts.push(
        { destination: "/mnt/tmp", type: "tmpfs", source: "tmpfs", options: ["size=1m", "mode=1770", "nosuid", "nodev", "noexec"] },
        { destination: "/mnt/dir", type: "bind", source: `${fixtures}/dir`, options: ["bind"] },
        { destination: "/mnt/single", type: "bind", source: `${fixtures}/single`, options: ["bind", "ro"] },
        { destination: "/mnt/ro", type: "bind", source: `${fixtures}/dir`, options: ["rbind", "ro", "nosuid", "nodev", "noexec"] },
        { destination: "/mnt/rbind", type: "bind", source: `${fixtures}/dir`, options: ["rbind", "rprivate"] },
      );
      c.linux.devices = [
        { path: "/dev/parity-null", type: "c", major: 1, minor: 3, fileMode: 0o600, uid: 1000, gid: 10 },
        { path: "/dev/parity-fifo", type: "p", fileMode: 0o640 },
        { path: "/dev/parity-loop", type: "b", major: 7, minor: 200, fileMode: 0o660, uid: 0, gid: 6 },
      ];
      c.process.user = { uid: 1000, gid: 1000, additionalGids: [10, 65534], umask: 0o077 };
      c.process.cwd = "/home/user";
      c.process.env = ["PATH=/bin:/usr/bin", "FOO=bar baz", "EMPTY="];
      c.process.noNewPrivileges = false;
      c.process.oomScoreAdj = 200;
      c.process.capabilities = {
        bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SYS_ADMIN"],
        effective: ["CAP_KILL"],
        permitted: ["CAP_KILL", "CAP_NET_RAW"],
        inheritable: ["CAP_CHOWN", "CAP_NET_RAW"],
        ambient: ["CAP_NET_RAW"],
      };
      c.process.rlimits = [
        { type: "RLIMIT_NOFILE", soft: 256, hard: 512 },
        { type: "RLIMIT_STACK", soft: 4194304, hard: 8388608 },
        { type: "RLIMIT_CORE", soft: 0, hard: 0 },
      ];
    });
    expect(ns.code).toBe(0);
  });

  it("see the same container in a user namespace, but for /dev/mqueue", () => {
    const reports = runBundle("ns", USER_NAMESPACE, CHOWN_ROOTFS);
    const nsMqueue = takeOutMqueue(reports.ns);
    const runcMqueue = takeOutMqueue(reports.runc);
    expect(runcMqueue).toBe("drwxrwxrwt 2 root nogroup 40 mqueue");
    // Both unshare the ipc namespace as the container's root; ns has switched
    // the group too by then, so the container's root group owns it as well.
    expect(nsMqueue).toBe("drwxrwxrwt 2 root root 40 mqueue");
    expectSameView(reports);
    expect(reports.ns.code).toBe(0);
  });

});
