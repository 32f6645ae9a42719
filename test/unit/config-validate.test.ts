import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { parseCpuList } from "../../src/config/cpulist.ts";
import { ConfigError } from "../../src/config/error.ts";
import { parseSpec } from "../../src/config/load.ts";
import type { Spec } from "../../src/config/schema.ts";
import { dottedSysctlName, sysctlFile, sysctlNamespace } from "../../src/config/sysctl.ts";
import { requireProcess, validateSpec } from "../../src/config/validate.ts";

/** A JSON document that each test edits freely before it is parsed. */
type Json = any;

function baseConfig(): Json {
  return {
    ociVersion: "1.2.0",
    root: { path: "rootfs" },
    process: { cwd: "/", args: ["sh"], env: ["PATH=/bin"] },
    hostname: "box",
    mounts: [{ destination: "/proc", type: "proc", source: "proc" }],
    linux: {
      namespaces: [{ type: "pid" }, { type: "mount" }, { type: "uts" }, { type: "ipc" }, { type: "network" }],
    },
  };
}

/** Parses the base config after edit has changed it. */
function config(edit: (json: Json) => void = () => {}): Spec {
  const json = baseConfig();
  edit(json);
  return parseSpec(JSON.stringify(json), "config.json");
}

/** Returns the warnings of a config that must pass. */
function passes(edit: (json: Json) => void): string[] {
  return validateSpec(config(edit));
}

/** Returns the error message of a config that must fail. */
function fails(edit: (json: Json) => void): string {
  try {
    validateSpec(config(edit));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected validateSpec to throw, but it passed");
}

const withNamespaces = (json: Json, ...types: string[]) => {
  json.linux.namespaces = types.map((type) => ({ type }));
};

test("base config passes without warnings", () => {
  expect(passes(() => {})).toEqual([]);
});

test("validateSpec names the file when given", () => {
  const spec = config((j) => (j.ociVersion = "2.0.0"));
  expect(() => validateSpec(spec, "/b/config.json")).toThrow('/b/config.json: ociVersion: unsupported version "2.0.0"');
});

describe("ociVersion", () => {
  test("1.x versions pass", () => {
    for (const version of ["1.0.0", "1.0.2-dev", "1.1.0-rc.1", "1.2.1", "1.3.0"]) {
      expect(passes((j) => (j.ociVersion = version))).toEqual([]);
    }
  });
  test("major version 2 fails", () => {
    expect(fails((j) => (j.ociVersion = "2.0.0"))).toBe('ociVersion: unsupported version "2.0.0" (ns reads runtime-spec 1.x)');
  });
  test("non-semver version fails", () => {
    expect(fails((j) => (j.ociVersion = "latest"))).toBe('ociVersion: invalid version "latest" (expected a version such as "1.2.0")');
  });
});

describe("root", () => {
  test("missing root fails", () => {
    expect(fails((j) => delete j.root)).toBe("root: required field is missing");
  });
  test("empty root.path fails", () => {
    expect(fails((j) => (j.root.path = ""))).toBe("root.path: expected a path, got an empty string");
  });
  test("relative root.path passes", () => {
    expect(passes((j) => (j.root.path = "../rootfs"))).toEqual([]);
  });
});

describe("mounts", () => {
  test("relative destination warns", () => {
    const warnings = passes((j) => j.mounts.push({ destination: "tmp", type: "tmpfs", source: "tmpfs" }));
    expect(warnings).toEqual(['mounts[1].destination: relative path "tmp" is deprecated; mounting at "/tmp"']);
  });
  test("relative destination is cleaned", () => {
    const warnings = passes((j) => j.mounts.push({ destination: "./var//log/", type: "tmpfs", source: "tmpfs" }));
    expect(warnings).toEqual(['mounts[1].destination: relative path "./var//log/" is deprecated; mounting at "/var/log/"']);
  });
  test("empty destination fails", () => {
    expect(fails((j) => (j.mounts[0].destination = ""))).toBe("mounts[0].destination: expected a path, got an empty string");
  });

  const idmap = [{ containerID: 0, hostID: 100000, size: 65536 }];
  test("id-mapped bind mount passes", () => {
    expect(
      passes((j) => j.mounts.push({ destination: "/data", source: "/srv", options: ["rbind"], uidMappings: idmap, gidMappings: idmap })),
    ).toEqual([]);
    expect(
      passes((j) => j.mounts.push({ destination: "/data", source: "/srv", type: "bind", uidMappings: idmap, gidMappings: idmap })),
    ).toEqual([]);
  });
  test("id-mapped mount needs both mappings", () => {
    expect(fails((j) => j.mounts.push({ destination: "/data", source: "/srv", options: ["bind"], uidMappings: idmap }))).toBe(
      "mounts[1]: an id-mapped mount needs both uidMappings and gidMappings",
    );
  });
  test("id-mapped mount must be a bind mount", () => {
    expect(fails((j) => j.mounts.push({ destination: "/t", type: "tmpfs", source: "tmpfs", uidMappings: idmap, gidMappings: idmap }))).toBe(
      'mounts[1]: uidMappings and gidMappings apply only to a bind mount (type "bind" or option "bind" or "rbind")',
    );
  });
  test("id-mapped mount ranges are checked", () => {
    const bad = [{ containerID: 0, hostID: 1, size: 0 }];
    expect(fails((j) => j.mounts.push({ destination: "/d", source: "/s", type: "bind", uidMappings: idmap, gidMappings: bad }))).toBe(
      "mounts[1].gidMappings[0].size: expected at least 1",
    );
  });
});

describe("process", () => {
  test("missing args fails", () => {
    expect(fails((j) => delete j.process.args)).toBe("process.args: expected at least one entry, the program to run");
  });
  test("empty args fails", () => {
    expect(fails((j) => (j.process.args = []))).toBe("process.args: expected at least one entry, the program to run");
  });
  test("empty program name fails", () => {
    expect(fails((j) => (j.process.args = [""]))).toBe("process.args[0]: expected the program to run, got an empty string");
  });
  test("NUL byte in args fails", () => {
    expect(fails((j) => (j.process.args = ["sh", "-c", "echo a\u0000b"]))).toBe("process.args[2]: contains a NUL byte");
  });
  test("too many additional groups fail", () => {
    expect(passes((j) => (j.process.user = { uid: 0, gid: 0, additionalGids: Array.from({ length: 65536 }, (_, i) => i) }))).toEqual([]);
    expect(fails((j) => (j.process.user = { uid: 0, gid: 0, additionalGids: Array.from({ length: 65537 }, (_, i) => i) }))).toBe(
      "process.user.additionalGids: 65537 groups, more than the kernel's limit of 65536",
    );
  });
  test("config without process passes", () => {
    expect(passes((j) => delete j.process)).toEqual([]);
  });
  test("relative cwd fails", () => {
    expect(fails((j) => (j.process.cwd = "tmp"))).toBe('process.cwd: expected an absolute path, got "tmp"');
  });

  test("env entries need NAME=value", () => {
    expect(passes((j) => (j.process.env = ["A=", "B=c=d"]))).toEqual([]);
    expect(fails((j) => (j.process.env = ["PATH=/bin", "FOO"]))).toBe('process.env[1]: expected NAME=value, got "FOO"');
    expect(fails((j) => (j.process.env = ["=x"]))).toBe('process.env[0]: expected NAME=value, got "=x"');
    expect(fails((j) => (j.process.env = ["A=b\u0000c"]))).toBe("process.env[0]: contains a NUL byte");
  });

  test("known rlimits pass, RLIM_INFINITY included", () => {
    const text = JSON.stringify(baseConfig()).replace(
      '"cwd":"/"',
      '"cwd":"/","rlimits":[{"type":"RLIMIT_NOFILE","soft":1024,"hard":1024},{"type":"RLIMIT_CORE","soft":0,"hard":18446744073709551615}]',
    );
    expect(validateSpec(parseSpec(text, "config.json"))).toEqual([]);
  });
  test("unknown rlimit fails (process_rlimits_fail)", () => {
    const message = fails((j) => (j.process.rlimits = [{ type: "RLIMIT_TEST", soft: 1024, hard: 1024 }]));
    expect(message).toStartWith('process.rlimits[0].type: unknown rlimit "RLIMIT_TEST" (expected one of RLIMIT_CPU, ');
  });
  test("soft rlimit above hard fails", () => {
    expect(fails((j) => (j.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 2048, hard: 1024 }]))).toBe(
      "process.rlimits[0]: soft limit 2048 is above hard limit 1024",
    );
  });
  const nrOpen = BigInt(readFileSync("/proc/sys/fs/nr_open", "utf8").trim());
  // ns's own hard limit is this test process's, which the container inherits.
  const hardNofile = BigInt(readFileSync("/proc/self/limits", "utf8").match(/^Max open files\s+\S+\s+(\d+)/m)?.[1] ?? "-1");

  test("RLIMIT_NOFILE above nr_open fails", () => {
    const over = nrOpen + 1n;
    expect(fails((j) => (j.process.rlimits = [{ type: "RLIMIT_CORE", soft: 0, hard: 0 }, { type: "RLIMIT_NOFILE", soft: 1024, hard: Number(over) }]))).toBe(
      `process.rlimits[1]: hard limit ${over} of RLIMIT_NOFILE is above ${nrOpen}, the maximum that /proc/sys/fs/nr_open allows`,
    );
    expect(passes((j) => (j.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 1024, hard: Number(nrOpen) }]))).toEqual([]);
  });
  test("RLIMIT_NOFILE of RLIM_INFINITY fails", () => {
    const text = JSON.stringify(baseConfig()).replace('"cwd":"/"', '"cwd":"/","rlimits":[{"type":"RLIMIT_NOFILE","soft":1024,"hard":18446744073709551615}]');
    expect(() => validateSpec(parseSpec(text, "config.json"))).toThrow(
      /^process\.rlimits\[0\]: hard limit RLIM_INFINITY of RLIMIT_NOFILE is above \d+, the maximum that \/proc\/sys\/fs\/nr_open allows$/,
    );
  });
  // The case needs a hard limit that can be raised without passing nr_open.
  test.skipIf(hardNofile < 0n || hardNofile >= nrOpen)("hard limit raised in a user namespace fails", () => {
    const raised = { type: "RLIMIT_NOFILE", soft: 1024, hard: Number(hardNofile + 1n) };
    expect(
      fails((j) => {
        withNamespaces(j, "pid", "mount", "uts", "ipc", "network", "user");
        j.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        j.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        j.process.rlimits = [raised];
      }),
    ).toBe(
      `process.rlimits[0]: hard limit ${hardNofile + 1n} of RLIMIT_NOFILE is above ${hardNofile}, the hard limit ns runs with, ` +
        "and a process in a user namespace cannot raise a hard limit",
    );
    expect(passes((j) => (j.process.rlimits = [raised]))).toEqual([]);
  });
  test("duplicate rlimit fails", () => {
    const rlimit = { type: "RLIMIT_NOFILE", soft: 1, hard: 1 };
    expect(fails((j) => (j.process.rlimits = [rlimit, { ...rlimit, type: "RLIMIT_CORE" }, rlimit]))).toBe(
      'process.rlimits[2].type: duplicate rlimit "RLIMIT_NOFILE" (also at process.rlimits[0])',
    );
  });

  test("known capabilities pass", () => {
    const all = ["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"];
    expect(passes((j) => (j.process.capabilities = { bounding: all, effective: all, inheritable: all, permitted: all, ambient: all }))).toEqual(
      [],
    );
  });
  test("unknown capability fails (process_capabilities_fail)", () => {
    expect(fails((j) => (j.process.capabilities = { bounding: ["CAP_KILL", "CAP_TEST"] }))).toBe(
      'process.capabilities.bounding[1]: unknown capability "CAP_TEST"',
    );
    expect(fails((j) => (j.process.capabilities = { ambient: ["kill"] }))).toBe('process.capabilities.ambient[0]: unknown capability "kill"');
  });

  test("scheduler rules follow sched_setattr", () => {
    expect(passes((j) => (j.process.scheduler = { policy: "SCHED_OTHER", nice: -20 }))).toEqual([]);
    expect(passes((j) => (j.process.scheduler = { policy: "SCHED_FIFO", priority: 10 }))).toEqual([]);
    expect(passes((j) => (j.process.scheduler = { policy: "SCHED_DEADLINE", runtime: 1, deadline: 2, period: 3 }))).toEqual([]);
    expect(fails((j) => (j.process.scheduler = { policy: "SCHED_BATCH", nice: 20 }))).toBe(
      "process.scheduler.nice: expected -20 to 19 for SCHED_BATCH, got 20",
    );
    expect(fails((j) => (j.process.scheduler = { policy: "SCHED_RR" }))).toBe("process.scheduler.priority: expected 1 to 99 for SCHED_RR, got 0");
    expect(fails((j) => (j.process.scheduler = { policy: "SCHED_OTHER", priority: 5 }))).toBe(
      "process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority, but the policy is SCHED_OTHER",
    );
    expect(fails((j) => (j.process.scheduler = { policy: "SCHED_FIFO", priority: 1, runtime: 5 }))).toBe(
      "process.scheduler.runtime: only SCHED_DEADLINE takes a runtime, but the policy is SCHED_FIFO",
    );
  });

  test("ioPriority priority is 0 to 7", () => {
    expect(passes((j) => (j.process.ioPriority = { class: "IOPRIO_CLASS_IDLE", priority: 7 }))).toEqual([]);
    expect(fails((j) => (j.process.ioPriority = { class: "IOPRIO_CLASS_RT", priority: 8 }))).toBe(
      "process.ioPriority.priority: expected 0 (highest) to 7 (lowest), got 8",
    );
  });

  test("execCPUAffinity takes CPU lists", () => {
    expect(passes((j) => (j.process.execCPUAffinity = { initial: "0", final: "0-3, 7" }))).toEqual([]);
    expect(fails((j) => (j.process.execCPUAffinity = { final: "3-1" }))).toBe(
      'process.execCPUAffinity.final: invalid CPU list "3-1": range "3-1" runs backwards',
    );
  });

  test("requireProcess returns the process or names the field", () => {
    expect(requireProcess(config()).cwd).toBe("/");
    expect(() => requireProcess(config((j) => delete j.process), "/b/config.json")).toThrow(
      "/b/config.json: process: required to create a container, but missing",
    );
  });
});

describe("hostname and domainname", () => {
  test("hostname with a new or joined uts namespace passes", () => {
    expect(passes(() => {})).toEqual([]);
    expect(passes((j) => (j.linux.namespaces = [{ type: "uts", path: "/proc/1/ns/uts" }]))).toEqual([]);
  });
  test("hostname without a uts namespace fails", () => {
    expect(fails((j) => withNamespaces(j, "mount"))).toBe(
      "hostname: set, but linux.namespaces has no uts namespace, so setting it would change the host's hostname",
    );
  });
  test("domainname without a uts namespace fails", () => {
    const edit = (j: Json) => {
      delete j.hostname;
      j.domainname = "example.org";
      withNamespaces(j, "mount");
    };
    expect(fails(edit)).toBe("domainname: set, but linux.namespaces has no uts namespace, so setting it would change the host's domainname");
  });
  test("empty hostname without a uts namespace passes", () => {
    expect(passes((j) => {
      j.hostname = "";
      withNamespaces(j, "mount");
    })).toEqual([]);
  });
});

describe("hooks", () => {
  test("absolute hook path passes", () => {
    expect(passes((j) => (j.hooks = { poststop: [{ path: "/bin/true" }] }))).toEqual([]);
  });
  test("relative hook path fails", () => {
    expect(fails((j) => (j.hooks = { createRuntime: [{ path: "/bin/true" }, { path: "hook.sh" }] }))).toBe(
      'hooks.createRuntime[1].path: expected an absolute path, got "hook.sh"',
    );
  });
});

describe("namespaces", () => {
  test("duplicate namespace type fails", () => {
    expect(fails((j) => j.linux.namespaces.push({ type: "pid", path: "/proc/1/ns/pid" }))).toBe(
      'linux.namespaces[5].type: duplicate namespace type "pid" (also at linux.namespaces[0])',
    );
  });
  test("relative namespace path fails", () => {
    expect(fails((j) => (j.linux.namespaces[0].path = "proc/1/ns/pid"))).toBe(
      'linux.namespaces[0].path: expected an absolute path, got "proc/1/ns/pid"',
    );
  });
  test("config without namespaces passes", () => {
    expect(passes((j) => {
      delete j.hostname;
      delete j.linux.namespaces;
    })).toEqual([]);
  });
});

describe("user namespace", () => {
  const mapping = [{ containerID: 0, hostID: 1000, size: 1 }];
  const withUser = (j: Json) => j.linux.namespaces.push({ type: "user" });

  test("new user namespace with both mappings passes", () => {
    expect(passes((j) => {
      withUser(j);
      j.linux.uidMappings = mapping;
      j.linux.gidMappings = mapping;
    })).toEqual([]);
  });
  test("new user namespace without uidMappings fails", () => {
    expect(fails(withUser)).toBe("linux.uidMappings: required, because linux.namespaces creates a user namespace");
  });
  test("new user namespace without gidMappings fails", () => {
    expect(fails((j) => {
      withUser(j);
      j.linux.uidMappings = mapping;
    })).toBe("linux.gidMappings: required, because linux.namespaces creates a user namespace");
  });
  test("mappings without a user namespace fail", () => {
    expect(fails((j) => (j.linux.gidMappings = mapping))).toBe("linux.gidMappings: set, but linux.namespaces has no user namespace to apply it to");
  });
  test("joined user namespace needs no mappings", () => {
    expect(passes((j) => j.linux.namespaces.push({ type: "user", path: "/proc/1/ns/user" }))).toEqual([]);
  });
  test("mappings with a joined user namespace warn", () => {
    const warnings = passes((j) => {
      j.linux.namespaces.push({ type: "user", path: "/proc/1/ns/user" });
      j.linux.uidMappings = mapping;
    });
    expect(warnings).toEqual(['linux.uidMappings: ignored, because the user namespace is joined from "/proc/1/ns/user"']);
  });
});

describe("id mapping ranges", () => {
  const withMappings = (uid: object[]) => (j: Json) => {
    j.linux.namespaces.push({ type: "user" });
    j.linux.uidMappings = uid;
    j.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  };

  test("disjoint ranges pass", () => {
    const uid = [
      { containerID: 0, hostID: 1000, size: 1 },
      { containerID: 1, hostID: 100000, size: 65536 },
      { containerID: 65537, hostID: 4294901759, size: 65535 },
    ];
    expect(passes(withMappings(uid))).toEqual([]);
  });
  test("zero size fails", () => {
    expect(fails(withMappings([{ containerID: 0, hostID: 0, size: 0 }]))).toBe("linux.uidMappings[0].size: expected at least 1");
  });
  test("range reaching (u32)-1 fails", () => {
    expect(fails(withMappings([{ containerID: 0, hostID: 4294967295, size: 1 }]))).toBe(
      "linux.uidMappings[0]: hostID 4294967295 + size 1 passes 4294967294, the highest ID a mapping can reach",
    );
  });
  test("overlapping container ranges fail", () => {
    const uid = [
      { containerID: 0, hostID: 1000, size: 10 },
      { containerID: 9, hostID: 2000, size: 1 },
    ];
    expect(fails(withMappings(uid))).toBe("linux.uidMappings[1]: containerID range overlaps linux.uidMappings[0]");
  });
  test("overlapping host ranges fail", () => {
    const uid = [
      { containerID: 0, hostID: 1000, size: 10 },
      { containerID: 10, hostID: 995, size: 6 },
    ];
    expect(fails(withMappings(uid))).toBe("linux.uidMappings[1]: hostID range overlaps linux.uidMappings[0]");
  });
  test("more than 340 entries fail", () => {
    const uid = Array.from({ length: 341 }, (_, i) => ({ containerID: i, hostID: 1000 + i, size: 1 }));
    expect(fails(withMappings(uid))).toBe("linux.uidMappings: 341 entries, but the kernel takes at most 340");
  });
});

describe("time namespace", () => {
  const offsets = { monotonic: { secs: 10 } };
  test("offsets with a new time namespace pass", () => {
    expect(passes((j) => {
      j.linux.namespaces.push({ type: "time" });
      j.linux.timeOffsets = offsets;
    })).toEqual([]);
  });
  test("offsets without a time namespace fail", () => {
    expect(fails((j) => (j.linux.timeOffsets = offsets))).toBe("linux.timeOffsets: set, but linux.namespaces has no time namespace to apply it to");
  });
  test("offsets with a joined time namespace fail", () => {
    expect(fails((j) => {
      j.linux.namespaces.push({ type: "time", path: "/proc/1/ns/time" });
      j.linux.timeOffsets = offsets;
    })).toBe('linux.timeOffsets: set, but the time namespace is joined from "/proc/1/ns/time", whose offsets are fixed');
  });
});

describe("devices", () => {
  test("character device and fifo pass", () => {
    expect(passes((j) => (j.linux.devices = [{ type: "c", path: "/dev/fuse", major: 10, minor: 229 }, { type: "p", path: "/run/fifo" }]))).toEqual(
      [],
    );
  });
  test("relative device path fails", () => {
    expect(fails((j) => (j.linux.devices = [{ type: "c", path: "dev/fuse", major: 10, minor: 229 }]))).toBe(
      'linux.devices[0].path: expected an absolute path, got "dev/fuse"',
    );
  });
  test("block device without minor fails", () => {
    expect(fails((j) => (j.linux.devices = [{ type: "b", path: "/dev/sda", major: 8 }]))).toBe(
      'linux.devices[0].minor: required for a device of type "b"',
    );
  });
});

describe("netDevices", () => {
  test("devices with a network namespace pass", () => {
    expect(passes((j) => (j.linux.netDevices = { eth1: {}, "enp0s3.100": { name: "ctr%d" } }))).toEqual([]);
  });
  test("devices without a network namespace fail", () => {
    expect(fails((j) => {
      withNamespaces(j, "mount", "uts");
      j.linux.netDevices = { eth1: {} };
    })).toBe("linux.netDevices: set, but linux.namespaces has no network namespace to move the devices into");
  });
  test("invalid interface names fail", () => {
    expect(fails((j) => (j.linux.netDevices = { "a-name-of-16-chr": {} }))).toBe(
      'linux.netDevices["a-name-of-16-chr"]: invalid interface name "a-name-of-16-chr"',
    );
    expect(fails((j) => (j.linux.netDevices = { eth1: { name: "eth 1" } }))).toBe(
      'linux.netDevices.eth1.name: invalid interface name "eth 1"',
    );
  });
});

describe("resources", () => {
  test("swap below the memory limit fails", () => {
    expect(fails((j) => (j.linux.resources = { memory: { limit: 2097152, swap: 1048576 } }))).toBe(
      "linux.resources.memory.swap: 1048576 is below memory.limit 2097152, but swap is the total of memory and swap",
    );
  });
  test("unlimited swap passes", () => {
    expect(passes((j) => (j.linux.resources = { memory: { limit: 2097152, swap: -1 } }))).toEqual([]);
    expect(passes((j) => (j.linux.resources = { memory: { limit: 2097152, swap: 2097152 } }))).toEqual([]);
  });
  test("hugepage size 3MB fails (linux_cgroups_hugetlb)", () => {
    expect(fails((j) => (j.linux.resources = { hugepageLimits: [{ pageSize: "3MB", limit: 1 }] }))).toBe(
      'linux.resources.hugepageLimits[0].pageSize: "3MB" is not a power of two',
    );
  });
  test("hugepage sizes that are powers of two pass", () => {
    const limits = ["64KB", "2MB", "1GB"].map((pageSize) => ({ pageSize, limit: 1 }));
    expect(passes((j) => (j.linux.resources = { hugepageLimits: limits }))).toEqual([]);
  });
  test("cpuset lists are checked", () => {
    expect(passes((j) => (j.linux.resources = { cpu: { cpus: "0-1,3", mems: "" } }))).toEqual([]);
    expect(fails((j) => (j.linux.resources = { cpu: { cpus: "0-x" } }))).toBe(
      'linux.resources.cpu.cpus: invalid CPU list "0-x": bad element "0-x"',
    );
  });
});

describe("sysctl", () => {
  const sysctl = (name: string, namespaces?: Json[]) => (j: Json) => {
    j.linux.sysctl = { [name]: "1" };
    if (namespaces !== undefined) j.linux.namespaces = namespaces;
  };
  const nsList = (...types: string[]) => types.map((type) => ({ type }));

  test("namespaced sysctls pass with their namespace", () => {
    for (const name of ["net.ipv4.ip_forward", "net/ipv4/conf/eth0.100/rp_filter", "kernel.shmmax", "fs.mqueue.msg_max", "kernel.domainname"]) {
      expect(passes(sysctl(name))).toEqual([]);
    }
  });
  test("user sysctl with a new user namespace passes", () => {
    expect(passes((j) => {
      sysctl("user.max_user_namespaces")(j);
      j.linux.namespaces.push({ type: "user" });
      j.linux.uidMappings = j.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    })).toEqual([]);
  });
  test("net sysctl without a network namespace fails", () => {
    expect(fails(sysctl("net.ipv4.ip_forward", nsList("uts")))).toBe(
      `linux.sysctl["net.ipv4.ip_forward"]: needs the container to have its own network namespace, but linux.namespaces has none`,
    );
  });
  test("net sysctl in runtime network namespace fails", () => {
    expect(fails(sysctl("net.core.somaxconn", [{ type: "uts" }, { type: "network", path: "/proc/self/ns/net" }]))).toBe(
      `linux.sysctl["net.core.somaxconn"]: needs the container to have its own network namespace, but "/proc/self/ns/net" is the runtime's`,
    );
  });
  test("net sysctl with a missing namespace path fails", () => {
    expect(fails(sysctl("net.core.somaxconn", [{ type: "uts" }, { type: "network", path: "/nonexistent/netns" }]))).toBe(
      'linux.sysctl["net.core.somaxconn"]: checking the network namespace failed: stat "/nonexistent/netns": ENOENT (no such file or directory)',
    );
  });
  test("ipc sysctl without an ipc namespace fails", () => {
    expect(fails(sysctl("kernel.msgmax", nsList("uts")))).toBe(
      `linux.sysctl["kernel.msgmax"]: needs the container to have its own ipc namespace, but linux.namespaces has none`,
    );
  });
  test("user sysctl without a user namespace fails", () => {
    expect(fails(sysctl("user.max_user_namespaces"))).toBe(
      `linux.sysctl["user.max_user_namespaces"]: needs the container to have its own user namespace, but linux.namespaces has none`,
    );
  });
  test("host-wide sysctl fails", () => {
    expect(fails(sysctl("vm.swappiness"))).toBe('linux.sysctl["vm.swappiness"]: not namespaced, so setting it would change the host');
  });
  test("kernel.hostname points to the hostname field", () => {
    expect(fails(sysctl("kernel.hostname"))).toBe('linux.sysctl["kernel.hostname"]: conflicts with the hostname field; set that instead');
    expect(fails(sysctl("kernel/hostname"))).toBe('linux.sysctl["kernel/hostname"]: conflicts with the hostname field; set that instead');
  });
  test("malformed sysctl names fail", () => {
    expect(fails(sysctl("net..ipv4"))).toBe(
      'linux.sysctl["net..ipv4"]: invalid sysctl name "net..ipv4" (each component must be a non-empty name other than "." and "..")',
    );
    expect(fails(sysctl("net/ipv4/../../kernel/x"))).toStartWith('linux.sysctl["net/ipv4/../../kernel/x"]: invalid sysctl name');
  });
  test("both spellings map to the same file", () => {
    expect(dottedSysctlName("net/ipv4/conf/eno2.100/rp_filter")).toBe("net.ipv4.conf.eno2/100.rp_filter");
    expect(sysctlFile("net.ipv4.conf.eno2/100.rp_filter")).toBe("net/ipv4/conf/eno2.100/rp_filter");
    expect(sysctlFile("net/ipv4/conf/eno2.100/rp_filter")).toBe("net/ipv4/conf/eno2.100/rp_filter");
    expect(sysctlNamespace("fs/mqueue/queues_max")).toBe("ipc");
    expect(sysctlNamespace("kernel.panic")).toBeUndefined();
  });
});

describe("seccomp", () => {
  const seccomp = (profile: object) => (j: Json) => (j.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", ...profile });

  test("notify rule with a listener passes", () => {
    expect(passes(seccomp({ listenerPath: "/run/agent.sock", syscalls: [{ names: ["mount"], action: "SCMP_ACT_NOTIFY" }] }))).toEqual([]);
  });
  test("notify as the default action fails", () => {
    expect(fails(seccomp({ defaultAction: "SCMP_ACT_NOTIFY", listenerPath: "/run/agent.sock" }))).toBe(
      "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action",
    );
  });
  test("notify rule without a listener fails", () => {
    expect(fails(seccomp({ syscalls: [{ names: ["mount"], action: "SCMP_ACT_NOTIFY" }] }))).toBe(
      "linux.seccomp.listenerPath: required, because a rule uses SCMP_ACT_NOTIFY",
    );
  });
  test("argument index past the sixth fails", () => {
    const rule = { names: ["ioctl"], action: "SCMP_ACT_ERRNO", args: [{ index: 6, value: 1, op: "SCMP_CMP_EQ" }] };
    expect(fails(seccomp({ syscalls: [rule] }))).toBe("linux.seccomp.syscalls[0].args[0].index: expected 0 to 5, got 6");
  });
  test("empty system call name fails", () => {
    expect(fails(seccomp({ syscalls: [{ names: ["read", ""], action: "SCMP_ACT_ERRNO" }] }))).toBe(
      "linux.seccomp.syscalls[0].names[1]: expected a system call name, got an empty string",
    );
  });
});

describe("maskedPaths and readonlyPaths", () => {
  test("absolute paths with a mount namespace pass", () => {
    expect(passes((j) => {
      j.linux.maskedPaths = ["/proc/kcore"];
      j.linux.readonlyPaths = ["/proc/sys"];
    })).toEqual([]);
  });
  test("relative masked path fails (linux_masked_paths)", () => {
    expect(fails((j) => (j.linux.maskedPaths = ["masked-relpath"]))).toBe('linux.maskedPaths[0]: expected an absolute path, got "masked-relpath"');
  });
  test("paths without a mount namespace fail", () => {
    expect(fails((j) => {
      withNamespaces(j, "uts");
      j.linux.readonlyPaths = ["/proc/sys"];
    })).toBe("linux.readonlyPaths: set, but linux.namespaces has no mount namespace, so the mounts would change the host's");
  });
});

describe("sysfs", () => {
  const sysfs = { destination: "/sys", type: "sysfs", source: "sysfs", options: ["ro"] };
  const userNamespace = (j: Json) => {
    j.linux.namespaces.push({ type: "user" });
    j.linux.uidMappings = j.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  };

  test("read-only sysfs without network namespace passes", () => {
    expect(passes((j) => {
      withNamespaces(j, "mount", "uts");
      j.mounts.push(sysfs);
    })).toEqual([]);
  });
  test("sysfs in new user namespace alone warns", () => {
    const warnings = passes((j) => {
      withNamespaces(j, "mount", "uts");
      userNamespace(j);
      j.mounts.push(sysfs);
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toStartWith("mounts[1]: a new sysfs mount in a new user namespace needs a new network namespace too");
  });
  test("sysfs with user and network namespaces passes", () => {
    expect(passes((j) => {
      userNamespace(j);
      j.mounts.push(sysfs);
    })).toEqual([]);
  });
});

test("intelRdt closID must be a directory name", () => {
  expect(passes((j) => (j.linux.intelRdt = { closID: "guaranteed_group" }))).toEqual([]);
  expect(fails((j) => (j.linux.intelRdt = { closID: "../x" }))).toBe('linux.intelRdt.closID: invalid directory name "../x"');
});

test("parseCpuList returns the ranges", () => {
  expect(parseCpuList("0-3,8, 10-11")).toEqual([
    [0, 3],
    [8, 8],
    [10, 11],
  ]);
  expect(parseCpuList("")).toEqual([]);
  expect(() => parseCpuList("1,,2")).toThrow('invalid CPU list "1,,2": bad element ""');
});
