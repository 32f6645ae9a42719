import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findSyntaxError, parseJson } from "../../src/config/json.ts";
import { ConfigError, loadSpec, parseSpec, stringifySpec } from "../../src/config/load.ts";
import { validateSpec } from "../../src/config/validate.ts";
import { UserError } from "../../src/errors.ts";

/** Returns the message of the ConfigError that fn throws. */
function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError, but nothing was thrown");
}

const parse = (json: object | string) => parseSpec(typeof json === "string" ? json : JSON.stringify(json), "config.json");

const minimal = { ociVersion: "1.2.0", root: { path: "rootfs" } };

describe("loadSpec", () => {
  const dir = mkdtempSync(join(tmpdir(), "ns-config-test-"));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    expect(existsSync(dir)).toBe(false);
  });

  test("reads config.json from the bundle", () => {
    const bundle = join(dir, "good");
    mkdirSync(bundle);
    writeFileSync(join(bundle, "config.json"), JSON.stringify(minimal));
    const { spec, file } = loadSpec(bundle);
    expect(file).toBe(join(bundle, "config.json"));
    expect(spec.root?.path).toBe("rootfs");
  });

  test("missing file names the path and errno", () => {
    const bundle = join(dir, "empty");
    mkdirSync(bundle);
    const message = configError(() => loadSpec(bundle));
    expect(message).toBe(`open "${bundle}/config.json": ENOENT (no such file or directory)`);
  });

  test("errors name the full path of the file", () => {
    const bundle = join(dir, "bad");
    mkdirSync(bundle);
    writeFileSync(join(bundle, "config.json"), '{"ociVersion": 1}');
    expect(configError(() => loadSpec(bundle))).toBe(`${bundle}/config.json: ociVersion: expected a string, got 1`);
  });

  test("ConfigError is a UserError", () => {
    expect(new ConfigError("root", "x")).toBeInstanceOf(UserError);
  });
});

describe("malformed JSON", () => {
  const cases: [string, string, string][] = [
    ['{\n  "ociVersion": "1.2.0",\n}', "3:1", 'expected a member name in double quotes, got "}"'],
    ['{"a": x}', "1:7", 'expected a JSON value, got "x"'],
    ['{"a": 1', "1:8", 'expected "," or "}" after an object member, got end of input'],
    ["", "1:1", "expected a JSON value, got end of input"],
    ['{"a": "b\n"}', "1:9", "unescaped character U+000A in a string"],
    ["[1 2]", "1:4", 'expected "," or "]" after an array element, got "2"'],
    ['{"a":1}}', "1:8", 'unexpected "}" after the end of the JSON value'],
    ['{"a": "\\q"}', "1:8", "invalid escape sequence \\q in a string"],
    ['{"a": 01}', "1:8", 'expected "," or "}" after an object member, got "1"'],
    ['{"a": "x', "1:7", "unterminated string"],
    ["\ufeff{}", "1:1", "expected a JSON value, got character U+FEFF"],
  ];
  for (const [text, position, reason] of cases) {
    test(`reports ${position}: ${reason}`, () => {
      expect(configError(() => parse(text))).toBe(`config.json:${position}: invalid JSON: ${reason}`);
    });
  }

  test("scanner accepts what JSON.parse accepts", () => {
    const texts = ['{"a": [1, -2.5e+3, true, false, null, "\\u00e9\\n"], "b": {}}', "[]", ' "x" ', "0"];
    for (const text of texts) {
      JSON.parse(text);
      expect(findSyntaxError(text)).toBeUndefined();
    }
  });

  test("deep nesting is a ConfigError", () => {
    const text = `{"ociVersion": "1.2.0", "annotations": ${"[".repeat(200000)}${"]".repeat(200000)}}`;
    expect(configError(() => parse(text))).toBe("config.json: invalid JSON: arrays or objects nested too deep to parse");
  });

  test("top-level non-object is rejected", () => {
    expect(configError(() => parse("[]"))).toBe("config.json: expected a JSON object at the top level");
    expect(configError(() => parse("null"))).toBe("config.json: expected a JSON object at the top level");
  });
});

describe("schema errors", () => {
  test("wrong type names the field path", () => {
    const spec = { ...minimal, linux: { uidMappings: [{ containerID: 0, hostID: 1000, size: "x" }] } };
    expect(configError(() => parse(spec))).toBe('config.json: linux.uidMappings[0].size: expected a number, got "x"');
  });

  test("unknown namespace type lists the known ones", () => {
    const spec = { ...minimal, linux: { namespaces: [{ type: "pid" }, { type: "uts" }, { type: "foo" }] } };
    expect(configError(() => parse(spec))).toBe(
      'config.json: linux.namespaces[2].type: unknown namespace type "foo" (expected one of mount, uts, ipc, pid, network, user, cgroup, time)',
    );
  });

  test("missing required member", () => {
    expect(configError(() => parse({ root: { path: "rootfs" } }))).toBe("config.json: ociVersion: required field is missing");
    expect(configError(() => parse({ ...minimal, process: { args: ["sh"] } }))).toBe(
      "config.json: process.cwd: required field is missing",
    );
  });

  const enumCases: [string, object, string][] = [
    ["rootfsPropagation", { linux: { rootfsPropagation: "sideways" } }, 'linux.rootfsPropagation: unknown rootfs propagation "sideways"'],
    [
      "seccomp action",
      { linux: { seccomp: { defaultAction: "SCMP_ACT_MAYBE" } } },
      'linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_MAYBE"',
    ],
    [
      "seccomp operator",
      {
        linux: {
          seccomp: {
            defaultAction: "SCMP_ACT_ALLOW",
            syscalls: [{ names: ["kill"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, op: "SCMP_CMP_SOMETIMES" }] }],
          },
        },
      },
      'linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "SCMP_CMP_SOMETIMES"',
    ],
    [
      "seccomp architecture",
      { linux: { seccomp: { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_Z80"] } } },
      'linux.seccomp.architectures[0]: unknown seccomp architecture "SCMP_ARCH_Z80"',
    ],
    ["device type", { linux: { devices: [{ type: "x", path: "/dev/x" }] } }, 'linux.devices[0].type: unknown device type "x"'],
    ["clock", { linux: { timeOffsets: { realtime: { secs: 1 } } } }, 'linux.timeOffsets.realtime: unknown clock "realtime"'],
    [
      "scheduler policy",
      { process: { cwd: "/", args: ["sh"], scheduler: { policy: "SCHED_FAST" } } },
      'process.scheduler.policy: unknown scheduler policy "SCHED_FAST"',
    ],
  ];
  for (const [name, fields, message] of enumCases) {
    test(`unknown ${name} value is an error`, () => {
      expect(configError(() => parse({ ...minimal, ...fields }))).toStartWith(`config.json: ${message} (expected one of `);
    });
  }

  test("array where an object is expected", () => {
    expect(configError(() => parse({ ...minimal, process: [] }))).toBe("config.json: process: expected an object, got an array");
    expect(configError(() => parse({ ...minimal, annotations: ["a"] }))).toBe("config.json: annotations: expected an object, got an array");
    expect(configError(() => parse({ ...minimal, linux: { sysctl: "x" } }))).toBe('config.json: linux.sysctl: expected an object, got "x"');
  });

  test("integer out of range", () => {
    const spec = { ...minimal, linux: { uidMappings: [{ containerID: 0, hostID: -1, size: 1 }] } };
    expect(configError(() => parse(spec))).toBe(
      "config.json: linux.uidMappings[0].hostID: expected an integer from 0 to 4294967295, got -1",
    );
  });

  test("fraction where an integer is expected", () => {
    const spec = { ...minimal, process: { cwd: "/", args: ["sh"], oomScoreAdj: 1.5 } };
    expect(configError(() => parse(spec))).toBe("config.json: process.oomScoreAdj: expected an integer, got 1.5");
  });

  test("sysctl keys are quoted in the field path", () => {
    const spec = { ...minimal, linux: { sysctl: { "net.ipv4.ip_forward": 1 } } };
    expect(configError(() => parse(spec))).toBe('config.json: linux.sysctl["net.ipv4.ip_forward"]: expected a string, got 1');
  });

  test("hugepage size pattern", () => {
    const spec = { ...minimal, linux: { resources: { hugepageLimits: [{ pageSize: "2M", limit: 1 }] } } };
    expect(configError(() => parse(spec))).toBe(
      'config.json: linux.resources.hugepageLimits[0].pageSize: expected a page size such as "2MB" or "1GB", got "2M"',
    );
  });

  test("seccomp rule without names", () => {
    const spec = { ...minimal, linux: { seccomp: { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: [], action: "SCMP_ACT_ERRNO" }] } } };
    expect(configError(() => parse(spec))).toBe("config.json: linux.seccomp.syscalls[0].names: expected at least one system call name");
  });
});

describe("unknown and null members", () => {
  test("unknown members are ignored and dropped", () => {
    const spec = parse({
      ...minimal,
      futureField: { anything: [1, 2] },
      process: { cwd: "/", args: ["sh"], someNewSetting: true },
      linux: { futureLinuxField: "x", namespaces: [{ type: "pid", extra: 1 }] },
      windows: { layerFolders: [] },
    });
    expect(spec).not.toHaveProperty("futureField");
    expect(spec).not.toHaveProperty("windows");
    expect(spec.process).not.toHaveProperty("someNewSetting");
    expect(spec.linux?.namespaces).toEqual([{ type: "pid" }]);
  });

  test("null members count as absent, as Go reads them", () => {
    const spec = parse({ ...minimal, hostname: null, mounts: null, linux: { seccomp: null, resources: { memory: { limit: null } } } });
    expect(spec.hostname).toBeUndefined();
    expect(spec.mounts).toBeUndefined();
    expect(spec.linux?.seccomp).toBeUndefined();
    expect(spec.linux?.resources?.memory).toEqual({});
  });

  test("absent uid and gid default to 0", () => {
    const spec = parse({ ...minimal, process: { cwd: "/", args: ["sh"] } });
    expect(spec.process?.user).toEqual({ uid: 0, gid: 0 });
  });
});

describe("64-bit integers", () => {
  test("parseJson keeps integers beyond 2^53 exact", () => {
    const value = parseJson('{"big": 18446744073709551615, "small": 42, "negative": -9223372036854775808, "float": 1.5}');
    expect(value).toEqual({ big: 18446744073709551615n, small: 42, negative: -9223372036854775808n, float: 1.5 });
  });

  test("rlimits keep RLIM_INFINITY", () => {
    const text = `{"ociVersion": "1.2.0", "process": {"cwd": "/", "args": ["sh"], "rlimits": [
      {"type": "RLIMIT_NOFILE", "soft": 18446744073709551615, "hard": 18446744073709551615},
      {"type": "RLIMIT_CORE", "soft": 0, "hard": 9007199254740993}]}}`;
    const rlimits = parse(text).process?.rlimits;
    expect(rlimits?.[0]?.soft).toBe(18446744073709551615n);
    expect(rlimits?.[0]?.hard).toBe(2n ** 64n - 1n);
    expect(rlimits?.[1]?.soft).toBe(0n);
    expect(rlimits?.[1]?.hard).toBe(9007199254740993n);
  });

  test("memory limits keep -1 and the int64 maximum", () => {
    const text = `{"ociVersion": "1.2.0", "linux": {"resources": {"memory":
      {"limit": 9223372036854775807, "swap": -1, "reservation": 1073741824}}}}`;
    const memory = parse(text).linux?.resources?.memory;
    expect(memory?.limit).toBe(9223372036854775807n);
    expect(memory?.swap).toBe(-1n);
    expect(memory?.reservation).toBe(1073741824n);
  });

  test("seccomp argument values keep all 64 bits", () => {
    const text = `{"ociVersion": "1.2.0", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["personality"], "action": "SCMP_ACT_ERRNO",
       "args": [{"index": 0, "value": 18446744073709551615, "valueTwo": 18446744069414584320, "op": "SCMP_CMP_MASKED_EQ"}]}]}}}`;
    const arg = parse(text).linux?.seccomp?.syscalls?.[0]?.args?.[0];
    expect(arg?.value).toBe(0xffff_ffff_ffff_ffffn);
    expect(arg?.valueTwo).toBe(0xffff_ffff_0000_0000n);
  });

  test("uint64 above its maximum is rejected", () => {
    const text = `{"ociVersion": "1.2.0", "process": {"cwd": "/", "args": ["sh"],
      "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 18446744073709551616}]}}`;
    expect(configError(() => parse(text))).toBe(
      "config.json: process.rlimits[0].hard: expected an integer from 0 to 18446744073709551615, got 18446744073709551616",
    );
  });

  test("int64 below its minimum is rejected", () => {
    const text = '{"ociVersion": "1.2.0", "linux": {"resources": {"memory": {"limit": -9223372036854775809}}}}';
    expect(configError(() => parse(text))).toBe(
      "config.json: linux.resources.memory.limit: expected an integer from -9223372036854775808 to 9223372036854775807, got -9223372036854775809",
    );
  });

  test("big integer with exponent is rejected", () => {
    const text = '{"ociVersion": "1.2.0", "linux": {"resources": {"hugepageLimits": [{"pageSize": "2MB", "limit": 1e30}]}}}';
    expect(configError(() => parse(text))).toBe(
      "config.json: linux.resources.hugepageLimits[0].limit: expected an integer written out in digits, got 1e+30 (a value beyond 2^53 with an exponent is inexact)",
    );
  });

  test("big integer in number field is rejected", () => {
    const text = '{"ociVersion": "1.2.0", "linux": {"resources": {"pids": {"limit": 9223372036854775807}}}}';
    expect(configError(() => parse(text))).toBe(
      "config.json: linux.resources.pids.limit: expected an integer from -9007199254740991 to 9007199254740991, got 9223372036854775807",
    );
  });

  test("swappiness written as uint64(-1) reads as unset", () => {
    const text = '{"ociVersion": "1.2.0", "linux": {"resources": {"memory": {"swappiness": 18446744073709551615}}}}';
    expect(parse(text).linux?.resources?.memory?.swappiness).toBeUndefined();
    expect(parse('{"ociVersion": "1.2.0", "linux": {"resources": {"memory": {"swappiness": 60}}}}').linux?.resources?.memory?.swappiness).toBe(60);
    expect(configError(() => parse('{"ociVersion": "1.2.0", "linux": {"resources": {"memory": {"swappiness": 101}}}}'))).toBe(
      "config.json: linux.resources.memory.swappiness: expected an integer from 0 to 100, got 101",
    );
  });

  test("stringifySpec round-trips bigints", () => {
    const text = `{"ociVersion": "1.2.0", "process": {"cwd": "/", "args": ["sh"],
      "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 18446744073709551615, "hard": 18446744073709551615}]},
      "linux": {"resources": {"memory": {"limit": -1}}}}`;
    const spec = parse(text);
    const written = stringifySpec(spec);
    expect(written).toContain('"soft": 18446744073709551615');
    expect(written).toContain('"limit": -1');
    expect(parse(written)).toEqual(spec);
  });
});

describe("spec versions", () => {
  test("1.0.0 config with the schema's Iops spelling", () => {
    const spec = parse({
      ociVersion: "1.0.0",
      root: { path: "/var/lib/bundle/rootfs" },
      process: {
        terminal: false,
        user: { uid: 1000, gid: 1000, additionalGids: [5, 6] },
        args: ["/bin/sleep", "10"],
        env: ["PATH=/bin"],
        cwd: "/",
        capabilities: { bounding: ["CAP_KILL"], effective: ["CAP_KILL"], inheritable: [], permitted: ["CAP_KILL"], ambient: [] },
        rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
        noNewPrivileges: true,
        apparmorProfile: "docker-default",
        oomScoreAdj: 100,
        selinuxLabel: "",
      },
      hostname: "box",
      mounts: [{ destination: "/proc", type: "proc", source: "proc" }],
      hooks: { prestart: [{ path: "/usr/bin/fix-mounts", args: ["fix-mounts", "arg1"], env: ["key1=value1"], timeout: 5 }] },
      linux: {
        namespaces: [{ type: "pid" }, { type: "mount" }, { type: "uts" }, { type: "ipc" }, { type: "network" }],
        resources: {
          devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 10, minor: 229, access: "rw" }],
          memory: { limit: 536870912, reservation: 536870912, swap: 536870912, kernel: -1, kernelTCP: -1, swappiness: 0, disableOOMKiller: false },
          cpu: { shares: 1024, quota: 1000000, period: 500000, realtimeRuntime: 950000, realtimePeriod: 1000000, cpus: "0-1", mems: "0" },
          pids: { limit: 32771 },
          blockIO: {
            weight: 10,
            leafWeight: 10,
            weightDevice: [{ major: 8, minor: 0, weight: 500, leafWeight: 300 }],
            throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 600 }],
            throttleReadIopsDevice: [{ major: 8, minor: 16, rate: 300 }],
          },
          hugepageLimits: [{ pageSize: "2MB", limit: 9223372036854772000 }],
          network: { classID: 1048577, priorities: [{ name: "eth0", priority: 500 }] },
        },
        rootfsPropagation: "slave",
        seccomp: {
          defaultAction: "SCMP_ACT_ALLOW",
          architectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"],
          syscalls: [{ names: ["getcwd", "chmod"], action: "SCMP_ACT_ERRNO" }],
        },
        sysctl: { "net.ipv4.ip_forward": "1", "net.core.somaxconn": "256" },
        cgroupsPath: "/myRuntime/myContainer",
        maskedPaths: ["/proc/kcore"],
        readonlyPaths: ["/proc/sys"],
        mountLabel: "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811",
        devices: [{ path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0 }],
      },
      annotations: { "com.example.key1": "value1" },
    });
    expect(spec.linux?.resources?.blockIO?.throttleReadIOPSDevice).toEqual([{ major: 8, minor: 16, rate: 300n }]);
    expect(spec.linux?.resources?.memory?.limit).toBe(536870912n);
    expect(validateSpec(spec)).toEqual([]);
  });

  test("1.1.0 config with its new fields", () => {
    const spec = parse({
      ociVersion: "1.1.0",
      root: { path: "rootfs", readonly: true },
      process: { cwd: "/", args: ["sh"], user: { uid: 0, gid: 0, umask: 18 } },
      domainname: "example.org",
      hooks: {
        createRuntime: [{ path: "/usr/bin/netns-setup" }],
        createContainer: [{ path: "/usr/bin/mount-hook" }],
        startContainer: [{ path: "/usr/bin/refresh-ldcache" }],
        poststart: [{ path: "/usr/bin/notify-start", timeout: 5 }],
        poststop: [{ path: "/usr/sbin/cleanup.sh", args: ["cleanup.sh", "-f"] }],
      },
      linux: {
        namespaces: [{ type: "pid" }, { type: "mount" }, { type: "uts" }, { type: "cgroup" }],
        resources: {
          cpu: { idle: 1 },
          rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 1000 } },
          unified: { "io.max": "259:0 rbps=2097152 wiops=120" },
        },
        seccomp: {
          defaultAction: "SCMP_ACT_ERRNO",
          defaultErrnoRet: 1,
          flags: ["SECCOMP_FILTER_FLAG_LOG"],
          listenerPath: "/run/seccomp-agent.socket",
          listenerMetadata: "x",
          syscalls: [
            { names: ["mkdir"], action: "SCMP_ACT_NOTIFY" },
            { names: ["read", "write", "exit_group"], action: "SCMP_ACT_ALLOW" },
            { names: ["kill"], action: "SCMP_ACT_KILL_PROCESS" },
          ],
        },
        intelRdt: { closID: "guaranteed_group", l3CacheSchema: "L3:0=7f0;1=1f", memBwSchema: "MB:0=20;1=70", enableCMT: true, enableMBM: true },
        personality: { domain: "LINUX" },
      },
    });
    expect(spec.linux?.resources?.rdma?.["mlx5_1"]).toEqual({ hcaHandles: 3, hcaObjects: 10000 });
    expect(validateSpec(spec)).toEqual([]);
  });

  test("1.2.0 config with its new fields", () => {
    const spec = parse({
      ociVersion: "1.2.0",
      root: { path: "rootfs" },
      process: {
        cwd: "/",
        args: ["sh"],
        scheduler: { policy: "SCHED_DEADLINE", runtime: 10000000, deadline: 20000000, period: 30000000, flags: ["SCHED_FLAG_RESET_ON_FORK"] },
        ioPriority: { class: "IOPRIO_CLASS_BE", priority: 4 },
        execCPUAffinity: { initial: "7", final: "0-3,7" },
      },
      mounts: [
        { destination: "/data", type: "bind", source: "/srv/data", options: ["rbind", "ridmap"],
          uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] },
      ],
      linux: {
        namespaces: [{ type: "mount" }, { type: "user" }, { type: "time" }],
        uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
        gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
        timeOffsets: { monotonic: { secs: 86400, nanosecs: 0 }, boottime: { secs: -3600 } },
        resources: { cpu: { burst: 100000, quota: 50000, period: 100000 }, memory: { limit: 1073741824, checkBeforeUpdate: true } },
        seccomp: { defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"], architectures: ["SCMP_ARCH_RISCV64"] },
      },
    });
    expect(spec.linux?.timeOffsets?.boottime?.secs).toBe(-3600);
    expect(spec.mounts?.[0]?.uidMappings?.[0]?.hostID).toBe(100000);
    expect(validateSpec(spec)).toEqual([]);
  });

  test("1.3.0 netDevices are read", () => {
    const spec = parse({ ...minimal, ociVersion: "1.3.0", linux: { namespaces: [{ type: "network" }], netDevices: { eth1: { name: "ctr0" }, eth2: {} } } });
    expect(spec.linux?.netDevices).toEqual({ eth1: { name: "ctr0" }, eth2: {} });
    expect(validateSpec(spec)).toEqual([]);
  });
});
