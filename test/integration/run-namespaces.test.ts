// ns run and linux.namespaces: the namespaces it creates, those it shares with
// the host, a user namespace with id mappings, and namespaces joined by path.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readlinkSync, readFileSync, statSync } from "node:fs";
import { makeStateRoot, removeStateRoot } from "../helpers/ns.ts";
import { catchesSignal, expectClean, host, runInBackground, runScript, sections, statusFields, waitFor } from "../helpers/run.ts";

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
  return `ns-${process.pid}-${++counter}`;
}

function run(script: string, edit?: (config: any) => void) {
  const r = runScript(root, nextId(), script, { edit });
  expectClean(root, r.id);
  return r;
}

const TYPES = { mount: "mnt", uts: "uts", ipc: "ipc", pid: "pid", network: "net", cgroup: "cgroup", user: "user" } as const;

/** `readlink /proc/self/ns/FILE` for each file, one "FILE ns:[inode]" line each. */
const READ_NAMESPACES = `for f in ${Object.values(TYPES).join(" ")}; do echo "$f $(readlink /proc/self/ns/$f)"; done`;

function namespaceLinks(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split("\n").map((line) => line.split(" ") as [string, string]));
}

function hostNamespace(file: string): string {
  return readlinkSync(`/proc/self/ns/${file}`);
}

const USER_NAMESPACE = (c: any) => {
  c.linux.namespaces.push({ type: "user" });
  c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  c.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
};

describe("namespaces", () => {
  test("are new for each type in linux.namespaces and shared for the others", () => {
    const r = run(READ_NAMESPACES);
    const links = namespaceLinks(r.stdout);
    // ns spec creates pid, network, ipc, uts and mount namespaces.
    for (const file of ["pid", "net", "ipc", "uts", "mnt"]) expect({ file, same: links[file] === hostNamespace(file) }).toEqual({ file, same: false });
    for (const file of ["user", "cgroup"]) expect({ file, same: links[file] === hostNamespace(file) }).toEqual({ file, same: true });
  });

  test("include a cgroup namespace rooted at the container's cgroup", () => {
    const r = run(`${READ_NAMESPACES}; echo '== cgroup'; cat /proc/self/cgroup`, (c) => c.linux.namespaces.push({ type: "cgroup" }));
    const out = sections(`== links\n${r.stdout}`);
    expect(namespaceLinks(out.links!).cgroup).not.toBe(hostNamespace("cgroup"));
    for (const line of out.cgroup!.split("\n")) expect(line).toEndWith(":/");
  });

  test("include a time namespace with linux.timeOffsets", () => {
    const r = run("readlink /proc/self/ns/time; cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime", (c) => {
      c.linux.namespaces.push({ type: "time" });
      c.linux.timeOffsets = { monotonic: { secs: 86400 }, boottime: { secs: 172800, nanosecs: 0 } };
    });
    const [link, monotonic, boottime, uptime] = r.stdout.trim().split("\n");
    expect(link).not.toBe(hostNamespace("time"));
    expect(monotonic!.split(/\s+/)).toEqual(["monotonic", "86400", "0"]);
    expect(boottime!.split(/\s+/)).toEqual(["boottime", "172800", "0"]);
    // /proc/uptime counts boot time, which the offset moves two days on.
    const hostUptime = Number(readFileSync("/proc/uptime", "utf8").split(".")[0]);
    expect(Number(uptime) - hostUptime).toBeGreaterThan(172800 - 60);
    expect(Number(uptime) - hostUptime).toBeLessThan(172800 + 60);
  });

  test("leave the network namespace shared when linux.namespaces has none", () => {
    const r = run(READ_NAMESPACES, (c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== "network");
      c.mounts = c.mounts.filter((m: { type: string }) => m.type !== "sysfs");
    });
    expect(namespaceLinks(r.stdout).net).toBe(hostNamespace("net"));
  });
});

describe("user namespace", () => {
  test("maps root to the configured host ids", () => {
    const r = run("id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map", USER_NAMESPACE);
    expect(r.stderr).toBe("");
    const [uid, gid, uidMap, gidMap] = r.stdout.trim().split("\n");
    expect(uid).toBe("0");
    expect(gid).toBe("0");
    expect(uidMap!.trim().split(/\s+/)).toEqual(["0", "100000", "65536"]);
    expect(gidMap!.trim().split(/\s+/)).toEqual(["0", "200000", "65536"]);
  });

  test("runs the container process as the mapped host ids", async () => {
    const id = nextId();
    const script = "trap 'exit 0' TERM; while true; do sleep 0.05; done";
    const edit = (c: any) => {
      c.process.user = { uid: 1000, gid: 1000 };
      USER_NAMESPACE(c);
    };
    const r = await runInBackground(root, id, script, { edit }, async (pid, launcher) => {
      // The pid file comes before the init stage switches to uid 1000 and executes sh.
      const status = await waitFor("the container process", () => {
        const fields = statusFields(readFileSync(`/proc/${pid}/status`, "utf8"));
        return fields.Uid?.startsWith("101000") && fields;
      });
      expect(status.Uid!.split(/\s+/)).toEqual(["101000", "101000", "101000", "101000"]);
      expect(status.Gid!.split(/\s+/)).toEqual(["201000", "201000", "201000", "201000"]);
      // A SIGTERM that arrives before sh has set its trap may be lost.
      await waitFor("the container's trap", () => catchesSignal(pid, 15));
      launcher.kill("SIGTERM");
    });
    expect(r.code).toBe(0);
    expectClean(root, id);
  });

  test("accepts the identity mapping of every id", () => {
    // 0 0 4294967295 is valid: it maps all ids but (u32)-1, which the kernel reserves.
    const r = run("cat /proc/self/uid_map; id -u", (c) => {
      c.linux.namespaces.push({ type: "user" });
      c.linux.uidMappings = [{ containerID: 0, hostID: 0, size: 4294967295 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 0, size: 4294967295 }];
    });
    expect(r.stderr).toBe("");
    const [map, uid] = r.stdout.trim().split("\n");
    expect(map!.trim().split(/\s+/)).toEqual(["0", "0", "4294967295"]);
    expect(uid).toBe("0");
  });

  test("shows host files of unmapped owners as the overflow ids", () => {
    const r = run("stat -c '%u %g' /bin/busybox", USER_NAMESPACE);
    // The rootfs belongs to host root, which the mappings leave out.
    expect(r.stdout).toBe("65534 65534\n");
  });

  test("creates the devices as bind mounts of the host's nodes", () => {
    const r = run("stat -c '%n %t %T' /dev/null /dev/zero; grep ' /dev/null ' /proc/self/mountinfo | cut -d' ' -f4", USER_NAMESPACE);
    expect(r.stdout).toBe("/dev/null 1 3\n/dev/zero 1 5\n/null\n");
  });

  test("mounts sysfs with a network namespace of its own", () => {
    const r = run("awk '$5 == \"/sys\"' /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f1", USER_NAMESPACE);
    expect(r.stdout).toBe("sysfs\n");
  });
});

describe("joined namespaces", () => {
  test("join a network namespace by path", () => {
    const name = `ns-test-${process.pid}-${++counter}`;
    host(["ip", "netns", "add", name]);
    try {
      host(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"]);
      const r = run(`${READ_NAMESPACES}; echo '== lo'; cat /sys/class/net/lo/operstate`, (c) => {
        c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === "network" ? { type: "network", path: `/run/netns/${name}` } : n));
      });
      const out = sections(`== links\n${r.stdout}`);
      expect(namespaceLinks(out.links!).net).toBe(`net:[${statSync(`/run/netns/${name}`).ino}]`);
      // lo is down in a new namespace; it is up only in the one joined.
      expect(out.lo).toBe("unknown");
    } finally {
      host(["ip", "netns", "delete", name]);
    }
  });

  test("join the uts namespace of another process", async () => {
    const holder = Bun.spawn(["unshare", "--uts", "sh", "-c", "hostname ns-test-joined; echo ready; exec sleep 30"], { stdout: "pipe" });
    try {
      const reader = holder.stdout.getReader();
      const { value } = await reader.read();
      expect(new TextDecoder().decode(value)).toBe("ready\n");
      const r = run(`hostname; echo "== uts"; readlink /proc/self/ns/uts`, (c) => {
        delete c.hostname;
        c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === "uts" ? { type: "uts", path: `/proc/${holder.pid}/ns/uts` } : n));
      });
      const out = sections(`== hostname\n${r.stdout}`);
      expect(out.hostname).toBe("ns-test-joined");
      expect(out.uts).toBe(readlinkSync(`/proc/${holder.pid}/ns/uts`));
    } finally {
      holder.kill("SIGKILL");
      await holder.exited;
    }
  });
});
