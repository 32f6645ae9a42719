import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultSpec, OCI_VERSION } from "../../src/config/default.ts";
import { parseSpec, stringifySpec } from "../../src/config/load.ts";
import { validateSpec } from "../../src/config/validate.ts";

const runcCaps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
const noSuidExecDev = ["nosuid", "noexec", "nodev"];

/** The output of `runc spec` from runc 1.1.5 (spec 1.0.2-dev). */
const RUNC_SPEC = {
  ociVersion: "1.0.2-dev",
  process: {
    terminal: true,
    user: { uid: 0, gid: 0 },
    args: ["sh"],
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    cwd: "/",
    capabilities: { bounding: runcCaps, effective: runcCaps, permitted: runcCaps, ambient: runcCaps },
    rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
    noNewPrivileges: true,
  },
  root: { path: "rootfs", readonly: true },
  hostname: "runc",
  mounts: [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: [...noSuidExecDev, "mode=1777", "size=65536k"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: noSuidExecDev },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: [...noSuidExecDev, "ro"] },
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: [...noSuidExecDev, "relatime", "ro"] },
  ],
  linux: {
    resources: { devices: [{ allow: false, access: "rwm" }] },
    namespaces: [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }],
    maskedPaths: [
      "/proc/acpi",
      "/proc/asound",
      "/proc/kcore",
      "/proc/keys",
      "/proc/latency_stats",
      "/proc/timer_list",
      "/proc/timer_stats",
      "/proc/sched_debug",
      "/sys/firmware",
      "/proc/scsi",
    ],
    readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
  },
};

/** runc's document with the two fields where ns differs on purpose: the version and the hostname. */
function asNs(text: string): string {
  return text.replace('"ociVersion": "1.0.2-dev"', `"ociVersion": "${OCI_VERSION}"`).replace('"hostname": "runc"', '"hostname": "ns"');
}

describe("defaultSpec", () => {
  test("matches runc spec apart from version and hostname", () => {
    const expected = asNs(JSON.stringify(RUNC_SPEC, null, "\t"));
    expect(stringifySpec(defaultSpec({ rootless: false }))).toBe(`${expected}\n`);
  });

  test("passes its own validation", () => {
    for (const rootless of [false, true]) {
      const spec = parseSpec(stringifySpec(defaultSpec({ rootless, uid: 1000, gid: 1000 })), "config.json");
      expect(validateSpec(spec)).toEqual([]);
    }
  });

  test("args replace the shell", () => {
    expect(defaultSpec({ rootless: false, args: ["/bin/echo", "hi"] }).process?.args).toEqual(["/bin/echo", "hi"]);
  });

  test("rootless maps root to the given user", () => {
    const spec = defaultSpec({ rootless: true, uid: 1000, gid: 100 });
    expect(spec.linux?.uidMappings).toEqual([{ containerID: 0, hostID: 1000, size: 1 }]);
    expect(spec.linux?.gidMappings).toEqual([{ containerID: 0, hostID: 100, size: 1 }]);
    expect(spec.linux?.namespaces?.map((ns) => ns.type)).toEqual(["pid", "ipc", "uts", "mount", "user"]);
    expect(spec.linux?.resources).toBeUndefined();
    expect(spec.mounts?.find((m) => m.destination === "/sys")).toEqual({
      destination: "/sys",
      type: "none",
      source: "/sys",
      options: ["rbind", ...noSuidExecDev, "ro"],
    });
    expect(spec.mounts?.find((m) => m.destination === "/dev/pts")?.options).not.toContain("gid=5");
  });

  test("rootless maps the effective IDs by default", () => {
    const spec = defaultSpec({ rootless: true });
    expect(spec.linux?.uidMappings?.[0]?.hostID).toBe(process.geteuid!());
    expect(spec.linux?.gidMappings?.[0]?.hostID).toBe(process.getegid!());
  });

  test("each call returns a fresh document", () => {
    const first = defaultSpec({ rootless: false });
    first.process?.capabilities?.bounding?.push("CAP_SYS_ADMIN");
    first.mounts?.[1]?.options?.push("ro");
    const second = defaultSpec({ rootless: false });
    expect(second.process?.capabilities?.bounding).toEqual(runcCaps);
    expect(second.mounts?.[1]?.options).toEqual(["nosuid", "strictatime", "mode=755", "size=65536k"]);
  });

  const runc = Bun.which("runc");
  for (const rootless of [false, true]) {
    const flags = rootless ? ["--rootless"] : [];
    const title = rootless ? "matches installed runc spec --rootless (needs runc)" : "matches installed runc spec (needs runc)";
    test.skipIf(runc === null)(title, () => {
      const dir = mkdtempSync(join(tmpdir(), "ns-runc-spec-"));
      try {
        const result = Bun.spawnSync([runc!, "spec", ...flags], { cwd: dir });
        expect(result.exitCode).toBe(0);
        const runcText = readFileSync(join(dir, "config.json"), "utf8");
        expect(JSON.parse(runcText).ociVersion).toBe("1.0.2-dev");
        expect(stringifySpec(defaultSpec({ rootless }))).toBe(`${asNs(runcText)}\n`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      expect(existsSync(dir)).toBe(false);
    });
  }
});

test("runc spec output parses and validates", () => {
  const spec = parseSpec(JSON.stringify(RUNC_SPEC), "config.json");
  expect(spec.process?.rlimits).toEqual([{ type: "RLIMIT_NOFILE", hard: 1024n, soft: 1024n }]);
  expect(validateSpec(spec)).toEqual([]);
});
