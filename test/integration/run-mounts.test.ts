// ns run and the container's mount namespace: the pivoted root, root.readonly,
// readonlyPaths and maskedPaths, the mounts of config.json with their options
// and propagation, rootfsPropagation, and /dev, all read from inside.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseMountInfo, type MountInfo } from "../../src/mounts/mountinfo.ts";
import { makeStateRoot, mountLeftovers, removeStateRoot } from "../helpers/ns.ts";
import { expectClean, expectOneLineError, host, runInBackground, runScript, sections } from "../helpers/run.ts";

// Each test starts containers, which takes longer than bun's 5 s default on a busy machine.
setDefaultTimeout(60_000);

let root: string;
/** Host directories the tests bind into containers. */
let fixtures: string;
let counter = 0;

beforeAll(() => {
  root = makeStateRoot();
  fixtures = mkdtempSync(join(tmpdir(), "ns-test-mounts-"));
  mkdirSync(`${fixtures}/dir/sub`, { recursive: true });
  writeFileSync(`${fixtures}/dir/file`, "in dir\n");
  writeFileSync(`${fixtures}/single`, "single file\n");
  writeFileSync(`${fixtures}/dir/run.sh`, "#!/bin/sh\necho ran\n", { mode: 0o755 });
  // A submount, to tell rbind from bind.
  host(["mount", "-t", "tmpfs", "-o", "size=1m", "ns-test-sub", `${fixtures}/dir/sub`]);
  writeFileSync(`${fixtures}/dir/sub/inner`, "in submount\n");
  // A shared mount, to see propagation across the container's boundary.
  mkdirSync(`${fixtures}/shared/late`, { recursive: true });
  host(["mount", "--bind", `${fixtures}/shared`, `${fixtures}/shared`]);
  host(["mount", "--make-shared", `${fixtures}/shared`]);
});

afterAll(() => {
  for (const path of [`${fixtures}/shared/late`, `${fixtures}/shared`, `${fixtures}/dir/sub`]) {
    while (mountLeftovers(` ${path} `).length > 0) host(["umount", path]);
  }
  expect(mountLeftovers(fixtures)).toEqual([]);
  rmSync(fixtures, { recursive: true, force: true });
  removeStateRoot(root);
});

function nextId(): string {
  return `mounts-${process.pid}-${++counter}`;
}

function run(script: string, edit?: (config: any) => void, runArgs?: string[]) {
  const r = runScript(root, nextId(), script, { edit, runArgs });
  expectClean(root, r.id);
  return r;
}

/** Parses the container's mount table into a map keyed by mount point, where the last mount wins. */
function mountTable(r: { stdout: string; stderr: string }): Map<string, MountInfo> {
  expect(r.stderr).toBe("");
  return new Map(parseMountInfo(r.stdout).map((m) => [m.mountPoint, m]));
}

/** Runs a script whose output starts with mountinfo and goes on in "== NAME" sections. */
function probe(script: string, edit?: (config: any) => void, runArgs?: string[]): Record<string, string> {
  const r = run(script, edit, runArgs);
  expect(r.stderr).toBe("");
  return sections(`== mountinfo\n${r.stdout}`);
}

function table(out: Record<string, string>): Map<string, MountInfo> {
  return new Map(parseMountInfo(out.mountinfo!).map((m) => [m.mountPoint, m]));
}

function options(m: MountInfo | undefined): string[] {
  return m?.options.split(",") ?? [];
}

const MOUNTINFO = "cat /proc/self/mountinfo";

describe("root", () => {
  test("is pivoted: only the container's mounts are visible", () => {
    const out = probe(`${MOUNTINFO}; echo '== ls'; ls /`);
    const mounts = parseMountInfo(out.mountinfo!);
    const points = mounts.map((m) => m.mountPoint);
    expect(points[0]).toBe("/");
    expect(mounts[0]!.root).toEndWith("/rootfs");
    const allowed = [/^\/$/, /^\/proc(\/|$)/, /^\/dev(\/|$)/, /^\/sys(\/|$)/];
    expect(points.filter((p) => !allowed.some((a) => a.test(p)))).toEqual([]);
    expect(out.ls!.split("\n").sort()).toEqual(readdirSync(`${import.meta.dir}/../.fixtures/busybox-rootfs`).sort());
  });

  test("is read-only with root.readonly", () => {
    const out = probe(`${MOUNTINFO}; echo '== touch'; touch /probe 2>&1 || true`);
    expect(options(table(out).get("/"))).toContain("ro");
    expect(out.touch).toContain("Read-only file system");
  });

  test("is writable without root.readonly", () => {
    const out = probe(`${MOUNTINFO}; echo '== touch'; touch /probe && echo written`, (c) => (c.root.readonly = false));
    expect(options(table(out).get("/"))).toContain("rw");
    expect(out.touch).toBe("written");
  });

  test("root.readonly keeps the nosuid and nodev of the rootfs mount", () => {
    // A rootfs on a nosuid,nodev filesystem: a plain ro remount of the bind would clear both.
    const dir = mkdtempSync(join(tmpdir(), "ns-test-nosuid-"));
    host(["mount", "-t", "tmpfs", "-o", "nosuid,nodev,size=64m", "ns-test-nosuid", dir]);
    try {
      const id = nextId();
      host(["cp", "-a", `${import.meta.dir}/../.fixtures/busybox-rootfs`, `${dir}/rootfs`]);
      const r = runScript(root, id, MOUNTINFO, { edit: (c) => (c.root.path = `${dir}/rootfs`) });
      const rootMount = mountTable(r).get("/");
      expect(options(rootMount)).toContain("ro");
      expect(options(rootMount)).toContain("nosuid");
      expect(options(rootMount)).toContain("nodev");
      expectClean(root, id);
    } finally {
      host(["umount", dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("mount destinations resolve symlinks inside the rootfs", () => {
    const id = nextId();
    const escape = mkdtempSync(join(tmpdir(), "ns-test-escape-"));
    try {
      const r = runScript(root, id, `${MOUNTINFO} | grep ' ${escape}/target ' || echo none`, {
        edit: (c) => c.mounts.push({ destination: "/etc/link/target", type: "tmpfs", source: "tmpfs" }),
        // A link that would leave the rootfs if it were followed on the host.
        prepare: (bundle) => symlinkSync(`../../../../../../../..${escape}`, `${bundle.rootfs}/etc/link`),
      });
      expect(r.stderr).toBe("");
      expect(readdirSync(escape)).toEqual([]);
      expect(r.stdout).toContain(`${escape}/target`);
      expectClean(root, id);
    } finally {
      rmSync(escape, { recursive: true, force: true });
    }
  });
});

describe("readonlyPaths and maskedPaths", () => {
  test("make readonlyPaths read-only", () => {
    const out = probe(`${MOUNTINFO}; echo '== write'; (echo 1 > /proc/sys/kernel/ns_last_pid) 2>&1 || true`);
    const mounts = table(out);
    for (const path of ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]) {
      if (mounts.has(path)) expect(options(mounts.get(path))).toContain("ro");
    }
    expect(mounts.has("/proc/sys")).toBe(true);
    expect(out.write).toContain("Read-only file system");
  });

  test("keep the nosuid, nodev and noexec of the mount under a readonlyPath", () => {
    const r = run(MOUNTINFO, (c) => {
      c.mounts[0].options = ["nosuid", "noexec", "nodev"];
    });
    const sys = options(mountTable(r).get("/proc/sys"));
    for (const flag of ["ro", "nosuid", "nodev", "noexec"]) expect(sys).toContain(flag);
  });

  test("mask files with /dev/null and directories with an empty read-only tmpfs", () => {
    const out = probe(`${MOUNTINFO}; echo '== keys'; wc -c < /proc/keys; echo '== acpi'; ls -A /proc/acpi; echo '== firmware'; ls -A /sys/firmware`);
    const mounts = table(out);
    expect(mounts.get("/proc/keys")?.root).toBe("/null");
    expect(mounts.get("/proc/acpi")?.fsType).toBe("tmpfs");
    expect(options(mounts.get("/proc/acpi"))).toContain("ro");
    expect(out.keys).toBe("0");
    expect(out.acpi).toBe("");
    expect(out.firmware).toBe("");
  });

  test("skip paths that do not exist", () => {
    const r = run("echo ok", (c) => {
      c.linux.maskedPaths.push("/no/such/path");
      c.linux.readonlyPaths.push("/no/such/path");
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("ok\n");
  });
});

describe("mounts of the config", () => {
  test("mount a tmpfs with size, mode and nosuid, nodev, noexec", () => {
    const out = probe(`${MOUNTINFO}; echo '== stat'; stat -c '%a' /mnt/tmp`, (c) => {
      c.mounts.push({ destination: "/mnt/tmp", type: "tmpfs", source: "tmpfs", options: ["size=1m", "mode=1770", "nosuid", "nodev", "noexec"] });
    });
    const tmp = table(out).get("/mnt/tmp");
    expect(tmp?.fsType).toBe("tmpfs");
    expect(tmp?.superOptions.split(",")).toContain("size=1024k");
    expect(tmp?.superOptions.split(",")).toContain("mode=1770");
    for (const flag of ["rw", "nosuid", "nodev", "noexec"]) expect(options(tmp)).toContain(flag);
    expect(out.stat).toBe("1770");
  });

  test("bind-mount a directory and a file", () => {
    const r = run("cat /mnt/dir/file /mnt/single", (c) => {
      c.mounts.push({ destination: "/mnt/dir", type: "bind", source: `${fixtures}/dir`, options: ["bind"] });
      c.mounts.push({ destination: "/mnt/single", type: "bind", source: `${fixtures}/single`, options: ["bind"] });
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("in dir\nsingle file\n");
  });

  test("bind-mount a source relative to the bundle", () => {
    const id = nextId();
    const r = runScript(root, id, "cat /mnt/data/note", {
      edit: (c) => c.mounts.push({ destination: "/mnt/data", type: "none", source: "data", options: ["bind"] }),
      prepare: (bundle) => {
        mkdirSync(`${bundle.dir}/data`);
        writeFileSync(`${bundle.dir}/data/note`, "next to config.json\n");
      },
    });
    expect(r.stdout).toBe("next to config.json\n");
    expectClean(root, id);
  });

  test("make a ro bind read-only", () => {
    const r = run("touch /mnt/ro/new 2>&1 || true; cat /mnt/ro/file", (c) => {
      c.mounts.push({ destination: "/mnt/ro", type: "bind", source: `${fixtures}/dir`, options: ["bind", "ro"] });
    });
    expect(r.stdout).toContain("Read-only file system");
    expect(r.stdout).toContain("in dir\n");
  });

  test("carry submounts with rbind but not with bind", () => {
    const r = run("cat /mnt/rbind/sub/inner; ls -A /mnt/bind/sub; echo end", (c) => {
      c.mounts.push({ destination: "/mnt/rbind", type: "bind", source: `${fixtures}/dir`, options: ["rbind"] });
      c.mounts.push({ destination: "/mnt/bind", type: "bind", source: `${fixtures}/dir`, options: ["bind"] });
    });
    expect(r.stdout).toBe("in submount\nend\n");
  });

  test("apply nosuid, nodev and noexec to a bind mount", () => {
    const out = probe(`${MOUNTINFO}; echo '== exec'; /mnt/noexec/run.sh 2>&1 || true; /mnt/exec/run.sh`, (c) => {
      c.mounts.push({ destination: "/mnt/noexec", type: "bind", source: `${fixtures}/dir`, options: ["rbind", "nosuid", "nodev", "noexec"] });
      c.mounts.push({ destination: "/mnt/exec", type: "bind", source: `${fixtures}/dir`, options: ["rbind"] });
    });
    const mounts = table(out);
    for (const flag of ["nosuid", "nodev", "noexec"]) {
      expect(options(mounts.get("/mnt/noexec"))).toContain(flag);
      expect(options(mounts.get("/mnt/exec"))).not.toContain(flag);
    }
    expect(out.exec).toContain("Permission denied");
    expect(out.exec).toEndWith("ran");
  });

  test("apply rro to the submounts of an rbind", () => {
    const r = run(MOUNTINFO, (c) => {
      c.mounts.push({ destination: "/mnt/rro", type: "bind", source: `${fixtures}/dir`, options: ["rbind", "rro"] });
      c.mounts.push({ destination: "/mnt/ro", type: "bind", source: `${fixtures}/dir`, options: ["rbind", "ro"] });
    });
    const table = mountTable(r);
    expect(options(table.get("/mnt/rro"))).toContain("ro");
    expect(options(table.get("/mnt/rro/sub"))).toContain("ro");
    expect(options(table.get("/mnt/ro"))).toContain("ro");
    // "ro" is not recursive: the submount keeps its own flags.
    expect(options(table.get("/mnt/ro/sub"))).toContain("rw");
  });

  test("copy the covered directory into a tmpfs with tmpcopyup", () => {
    const out = probe(`${MOUNTINFO}; echo '== files'; ls -l /etc/passwd /etc/group | cut -c1-10; cat /etc/group`, (c) => {
      c.mounts.push({ destination: "/etc", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup", "mode=755"] });
    });
    expect(table(out).get("/etc")?.fsType).toBe("tmpfs");
    expect(out.files).toContain("wheel:x:10:user");
    expect(out.files!.split("\n").slice(0, 2)).toEqual(["-rw-r--r--", "-rw-r--r--"]);
  });

  test("reject an ID-mapped mount", () => {
    const id = nextId();
    const r = runScript(root, id, "true", {
      edit: (c) => c.mounts.push({ destination: "/mnt/idmap", type: "bind", source: `${fixtures}/dir`, options: ["rbind", "idmap"] }),
    });
    expect(r.code).not.toBe(0);
    expectOneLineError(r.stderr, "mounts[", "/mnt/idmap", "ID-mapped mounts are not supported");
    expectClean(root, id);
  });
});

describe("propagation", () => {
  /** Optional fields without their peer group numbers: "shared", "master", "unbindable". */
  function propagation(m: MountInfo | undefined): string[] {
    return (m?.optional ?? []).map((o) => o.replace(/:\d+$/, "")).sort();
  }

  function bind(destination: string, ...extra: string[]) {
    return { destination, type: "bind", source: `${fixtures}/shared`, options: ["rbind", ...extra] };
  }

  test("follows the propagation option of each bind mount", () => {
    const r = run(MOUNTINFO, (c) => {
      c.mounts.push(bind("/mnt/default"), bind("/mnt/slave", "rslave"), bind("/mnt/private", "rprivate"), bind("/mnt/shared", "rshared"), bind("/mnt/unbindable", "runbindable"));
    });
    const table = mountTable(r);
    // Every inherited mount is made a slave first, so a bind of a shared host mount is a slave.
    expect(propagation(table.get("/mnt/default"))).toEqual(["master"]);
    expect(propagation(table.get("/mnt/slave"))).toEqual(["master"]);
    expect(propagation(table.get("/mnt/private"))).toEqual([]);
    expect(propagation(table.get("/mnt/shared"))).toEqual(["master", "shared"]);
    expect(propagation(table.get("/mnt/unbindable"))).toEqual(["unbindable"]);
  });

  test("passes host mounts to slave binds only", async () => {
    const id = nextId();
    const late = `${fixtures}/shared/late`;
    // The container waits (10 s at most) for the host to mount on shared/late, then reports what each bind shows.
    const script =
      "i=0; until [ -e /mnt/slave/late/marker ] || [ $i -ge 500 ]; do sleep 0.02; i=$((i+1)); done; " +
      "[ -e /mnt/slave/late/marker ] && echo slave=seen || echo slave=missing; " +
      "[ -e /mnt/private/late/marker ] && echo private=seen || echo private=missing";
    try {
      const r = await runInBackground(root, id, script, { edit: (c) => c.mounts.push(bind("/mnt/slave", "rslave"), bind("/mnt/private", "rprivate")) }, () => {
        host(["mount", "-t", "tmpfs", "-o", "size=1m", "ns-test-late", late]);
        writeFileSync(`${late}/marker`, "");
      });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("slave=seen\nprivate=missing\n");
      expect(r.code).toBe(0);
    } finally {
      if (mountLeftovers(` ${late} `).length > 0) host(["umount", late]);
    }
    expectClean(root, id);
  });

  test("does not pass the container's mounts to the host", () => {
    const r = run("mount -t tmpfs inner /mnt/shared/late && echo mounted", (c) => {
      c.mounts.push(bind("/mnt/shared", "rshared"));
      c.process.capabilities.bounding.push("CAP_SYS_ADMIN");
      c.process.capabilities.effective.push("CAP_SYS_ADMIN");
      c.process.capabilities.permitted.push("CAP_SYS_ADMIN");
    });
    expect(r.stdout).toBe("mounted\n");
    expect(mountLeftovers(`${fixtures}/shared/late`)).toEqual([]);
  });

  test("rshared passes mounts to host", () => {
    // Kubernetes' Bidirectional propagation: the bind stays in the host's
    // peer group, so a mount made inside reaches the host, and nothing else does.
    const late = `${fixtures}/shared/late`;
    try {
      const r = run("mount -t tmpfs inner /mnt/shared/late && echo mounted", (c) => {
        c.linux.rootfsPropagation = "rshared";
        c.mounts.push(bind("/mnt/shared", "rshared"));
        c.process.capabilities.bounding.push("CAP_SYS_ADMIN");
        c.process.capabilities.effective.push("CAP_SYS_ADMIN");
        c.process.capabilities.permitted.push("CAP_SYS_ADMIN");
      });
      expect(r.stdout).toBe("mounted\n");
      expect(mountLeftovers(` ${late} `)).toHaveLength(1);
      expect(mountLeftovers(r.id)).toEqual([]);
    } finally {
      while (mountLeftovers(` ${late} `).length > 0) host(["umount", late]);
    }
  });

  test("recursive root propagation keeps rshared", () => {
    for (const value of ["rslave", "rprivate"]) {
      const r = run(MOUNTINFO, (c) => {
        c.linux.rootfsPropagation = value;
        c.mounts.push(bind("/mnt/shared", "rshared"));
      });
      expect({ value, shared: propagation(mountTable(r).get("/mnt/shared")).includes("shared") }).toEqual({ value, shared: true });
    }
  });

  test("applies rootfsPropagation to the root mount", () => {
    const cases: [string, string[]][] = [
      ["shared", ["shared"]],
      ["private", []],
      ["rprivate", []],
      ["unbindable", ["unbindable"]],
    ];
    for (const [value, expected] of cases) {
      const r = run(MOUNTINFO, (c) => (c.linux.rootfsPropagation = value));
      expect({ value, root: propagation(mountTable(r).get("/")) }).toEqual({ value, root: expected });
    }
  });

  test("keeps a bind's rslave under rootfsPropagation private", () => {
    const r = run(MOUNTINFO, (c) => {
      c.linux.rootfsPropagation = "private";
      c.mounts.push(bind("/mnt/slave", "rslave"));
    });
    const table = mountTable(r);
    expect(propagation(table.get("/"))).toEqual([]);
    expect(propagation(table.get("/mnt/slave"))).toEqual(["master"]);
  });

  test("cuts every host mount off under rootfsPropagation rprivate", () => {
    const r = run(MOUNTINFO, (c) => {
      c.linux.rootfsPropagation = "rprivate";
      c.mounts.push(bind("/mnt/default"));
    });
    expect(propagation(mountTable(r).get("/mnt/default"))).toEqual([]);
  });
});

describe("/dev", () => {
  /** `stat -c '%n %F %a %u %g %t %T'` lines keyed by path. */
  function stats(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of text.split("\n").filter(Boolean)) {
      const space = line.indexOf(" ");
      out[line.slice(0, space)] = line.slice(space + 1);
    }
    return out;
  }

  const STAT = "stat -c '%n %F %a %u %g %t %T'";

  test("holds the default devices with their numbers and modes", () => {
    const r = run(`${STAT} /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty`);
    expect(r.stderr).toBe("");
    // %t and %T are the major and minor in hex.
    expect(stats(r.stdout)).toEqual({
      "/dev/null": "character special file 666 0 0 1 3",
      "/dev/zero": "character special file 666 0 0 1 5",
      "/dev/full": "character special file 666 0 0 1 7",
      "/dev/random": "character special file 666 0 0 1 8",
      "/dev/urandom": "character special file 666 0 0 1 9",
      "/dev/tty": "character special file 666 0 0 5 0",
    });
  });

  test("creates linux.devices with their mode, uid and gid", () => {
    const r = run(`${STAT} /dev/h4null /dev/h4fifo /dev/sub/h4blk`, (c) => {
      c.linux.devices = [
        { path: "/dev/h4null", type: "c", major: 1, minor: 3, fileMode: 0o600, uid: 1000, gid: 10 },
        { path: "/dev/h4fifo", type: "p", fileMode: 0o640 },
        { path: "/dev/sub/h4blk", type: "b", major: 7, minor: 200, fileMode: 0o660, uid: 0, gid: 6 },
      ];
    });
    expect(r.stderr).toBe("");
    expect(stats(r.stdout)).toEqual({
      "/dev/h4null": "character special file 600 1000 10 1 3",
      "/dev/h4fifo": "fifo 640 0 0 0 0",
      "/dev/sub/h4blk": "block special file 660 0 6 7 c8",
    });
  });

  test("lets a linux.devices entry replace a default device", () => {
    const r = run(`${STAT} /dev/tty`, (c) => {
      c.linux.devices = [{ path: "/dev/tty", type: "c", major: 5, minor: 0, fileMode: 0o600, uid: 0, gid: 5 }];
    });
    expect(stats(r.stdout)["/dev/tty"]).toBe("character special file 600 0 5 5 0");
  });

  test("links ptmx, fd, stdin, stdout and stderr", () => {
    const r = run("for l in ptmx fd stdin stdout stderr; do echo \"$l -> $(readlink /dev/$l)\"; done");
    expect(r.stdout).toBe("ptmx -> pts/ptmx\nfd -> /proc/self/fd\nstdin -> /proc/self/fd/0\nstdout -> /proc/self/fd/1\nstderr -> /proc/self/fd/2\n");
  });

  test("mounts devpts, shm and mqueue under /dev", () => {
    const r = run(MOUNTINFO);
    const table = mountTable(r);
    expect(table.get("/dev")?.fsType).toBe("tmpfs");
    expect(table.get("/dev/pts")?.fsType).toBe("devpts");
    expect(table.get("/dev/pts")?.superOptions.split(",")).toContain("ptmxmode=666");
    expect(table.get("/dev/shm")?.fsType).toBe("tmpfs");
    expect(table.get("/dev/mqueue")?.fsType).toBe("mqueue");
  });

  function bindDev(c: any): void {
    c.mounts = c.mounts.filter((m: { destination: string }) => !m.destination.startsWith("/dev"));
    c.mounts.push({ destination: "/dev", type: "bind", source: "devdir", options: ["rbind"] });
  }

  test("takes /dev from a bind mount as it is", () => {
    const id = nextId();
    const r = runScript(root, id, "ls -A /dev", {
      edit: bindDev,
      prepare: (bundle) => {
        mkdirSync(`${bundle.dir}/devdir`);
        // maskedPaths needs something at /dev/null to bind over files.
        writeFileSync(`${bundle.dir}/devdir/null`, "");
      },
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("null\n");
    expectClean(root, id);
  });

  test("names maskedPaths when the container has no /dev/null", () => {
    const id = nextId();
    const r = runScript(root, id, "true", { edit: bindDev, prepare: (bundle) => mkdirSync(`${bundle.dir}/devdir`) });
    expect(r.code).not.toBe(0);
    expectOneLineError(r.stderr, "linux.maskedPaths", "/proc/", "no /dev/null");
    expectClean(root, id);
  });
});

describe("--no-pivot", () => {
  test("moves the rootfs over / and chroots into it", () => {
    const out = probe(`${MOUNTINFO}; echo '== ls'; ls /`, undefined, ["--no-pivot"]);
    const mounts = parseMountInfo(out.mountinfo!);
    expect(mounts[0]!.mountPoint).toBe("/");
    expect(mounts[0]!.root).toEndWith("/rootfs");
    expect(out.ls!.split("\n")).toContain("bin");
  });
});

describe("old root", () => {
  test("is gone, so a container without /proc cannot mount an unmasked one", () => {
    // With the host's /proc still in the mount namespace, CAP_SYS_ADMIN in a
    // user namespace would be enough to mount a fresh proc (mount_too_revealing()).
    const r = run("mount -t proc proc /proc 2>/dev/null && echo mounted || echo refused", (c) => {
      c.mounts = c.mounts.filter((m: { destination: string }) => m.destination !== "/proc");
      c.linux.namespaces.push({ type: "user" });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      for (const set of ["bounding", "effective", "permitted"]) c.process.capabilities[set].push("CAP_SYS_ADMIN");
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("refused\n");
  });
});
