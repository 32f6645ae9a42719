import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import {
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWTIME,
  CLONE_NEWUSER,
  CLONE_NEWUTS,
  getNamespaceFlags,
  hasNamespace,
  JOIN_ORDER,
  namespaceList,
  type NamespaceType,
} from "../../src/namespaces.ts";

const TYPES: NamespaceType[] = ["mount", "uts", "ipc", "pid", "network", "user", "cgroup", "time"];

describe("namespaceList", () => {
  test("has the clone flag of <linux/sched.h> for each type", () => {
    expect(namespaceList.mount.flag).toBe(0x00020000);
    expect(namespaceList.uts.flag).toBe(0x04000000);
    expect(namespaceList.ipc.flag).toBe(0x08000000);
    expect(namespaceList.pid.flag).toBe(0x20000000);
    expect(namespaceList.network.flag).toBe(0x40000000);
    expect(namespaceList.user.flag).toBe(0x10000000);
    expect(namespaceList.cgroup.flag).toBe(0x02000000);
    expect(namespaceList.time.flag).toBe(0x00000080);
  });

  test("covers every type of the OCI spec once", () => {
    expect(Object.keys(namespaceList).sort()).toEqual([...TYPES].sort());
    const flags = Object.values(namespaceList).map((n) => n.flag);
    expect(new Set(flags).size).toBe(flags.length);
  });

  test("names files that exist in /proc/self/ns", () => {
    const files = readdirSync("/proc/self/ns");
    for (const type of TYPES) expect({ type, present: files.includes(namespaceList[type].file) }).toEqual({ type, present: true });
  });

  test("uses the kernel's short file names", () => {
    expect(namespaceList.mount.file).toBe("mnt");
    expect(namespaceList.network.file).toBe("net");
  });
});

describe("getNamespaceFlags", () => {
  test("is 0 for no namespaces", () => {
    expect(getNamespaceFlags([])).toBe(0);
  });

  test("ORs the flags of the namespaces to create", () => {
    const flags = getNamespaceFlags([{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }]);
    expect(flags).toBe(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS);
  });

  test("includes user, cgroup and time", () => {
    expect(getNamespaceFlags([{ type: "user" }, { type: "cgroup" }, { type: "time" }])).toBe(CLONE_NEWUSER | CLONE_NEWCGROUP | CLONE_NEWTIME);
  });

  test("leaves out namespaces that are joined by path", () => {
    const flags = getNamespaceFlags([{ type: "pid" }, { type: "network", path: "/run/netns/x" }, { type: "mount" }]);
    expect(flags).toBe(CLONE_NEWPID | CLONE_NEWNS);
  });

  test("treats an empty path as a namespace to create", () => {
    expect(getNamespaceFlags([{ type: "network", path: "" }])).toBe(CLONE_NEWNET);
  });

  test("fits in a signed 32-bit int for clone(2)", () => {
    const all = getNamespaceFlags(TYPES.map((type) => ({ type })));
    expect(all).toBeGreaterThan(0);
    expect(all).toBeLessThan(2 ** 31);
  });
});

describe("hasNamespace", () => {
  test("is true for a namespace created or joined", () => {
    const list = [{ type: "pid" as const }, { type: "network" as const, path: "/run/netns/x" }];
    expect(hasNamespace(list, "pid")).toBe(true);
    expect(hasNamespace(list, "network")).toBe(true);
  });

  test("is false for a type that is not listed", () => {
    expect(hasNamespace([{ type: "pid" }], "user")).toBe(false);
    expect(hasNamespace([], "mount")).toBe(false);
  });
});

describe("JOIN_ORDER", () => {
  test("lists every type once", () => {
    expect([...JOIN_ORDER].sort()).toEqual([...TYPES].sort());
  });

  test("joins the user namespace first and the mount namespace last", () => {
    expect(JOIN_ORDER[0]).toBe("user");
    expect(JOIN_ORDER.at(-1)).toBe("mount");
  });

  test("joins the pid namespace before the mount namespace", () => {
    expect(JOIN_ORDER.indexOf("pid")).toBeLessThan(JOIN_ORDER.indexOf("mount"));
  });
});
