// linux.cgroupsPath resolution and the detection of the cgroup layout from
// /proc/self/mountinfo and /proc/self/cgroup text.
import { describe, expect, test } from "bun:test";
import { hierarchiesFromMounts, layoutFrom, parseCgroupMounts, v1Controllers } from "../../src/cgroups/layout.ts";
import { chainFrom, defaultOwnedTop, membersFromPaths } from "../../src/cgroups/members.ts";
import { DEFAULT_PARENT, resolveCgroupPath } from "../../src/cgroups/paths.ts";

describe("resolveCgroupPath", () => {
  test("absent path uses the default parent", () => {
    expect(resolveCgroupPath("abc")).toBe("/ns/abc");
    expect(resolveCgroupPath("abc", "")).toBe("/ns/abc");
    expect(DEFAULT_PARENT).toBe("/ns");
  });

  test("absolute path stays as given", () => {
    expect(resolveCgroupPath("abc", "/a/b")).toBe("/a/b");
    expect(resolveCgroupPath("abc", "//a/./b/")).toBe("/a/b");
  });

  test("relative path goes under the default parent", () => {
    expect(resolveCgroupPath("abc", "a/b")).toBe("/ns/a/b");
  });

  test("systemd path is rejected", () => {
    expect(() => resolveCgroupPath("abc", "system.slice:ns:abc")).toThrow("systemd cgroup paths (slice:prefix:name) are not supported");
  });

  test("dot-dot is rejected", () => {
    expect(() => resolveCgroupPath("abc", "a/../../b")).toThrow('must not contain ".."');
  });

  test("root cgroup is rejected", () => {
    expect(() => resolveCgroupPath("abc", "/")).toThrow("names the root cgroup");
  });

  test("id with a slash is rejected", () => {
    expect(() => resolveCgroupPath("a/b")).toThrow('container id "a/b" cannot name a cgroup');
  });
});

const HYBRID_MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:12 - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
90 80 0:32 /docker/x /mnt/memory\\040copy rw,relatime - cgroup cgroup rw,memory`;

const HYBRID_PROC_CGROUP = `9:name=systemd:/
4:memory:/user.slice
2:cpu,cpuacct:/
0::/user.slice`;

describe("cgroup mounts", () => {
  test("picks cgroup and cgroup2 mounts", () => {
    const mounts = parseCgroupMounts(HYBRID_MOUNTINFO);
    expect(mounts.map((mount) => mount.mountPoint)).toEqual([
      "/sys/fs/cgroup/cpu,cpuacct",
      "/sys/fs/cgroup/memory",
      "/sys/fs/cgroup/systemd",
      "/sys/fs/cgroup/unified",
      "/mnt/memory copy",
    ]);
    expect(mounts[4]!.root).toBe("/docker/x");
  });

  test("controller names leave out mount options", () => {
    expect(v1Controllers(["rw", "cpu", "cpuacct"])).toEqual(["cpu", "cpuacct"]);
    expect(v1Controllers(["rw", "xattr", "name=systemd"])).toEqual(["name=systemd"]);
    expect(v1Controllers(["rw", "noprefix", "release_agent=/x", "cpuset"])).toEqual(["cpuset"]);
  });

  test("hierarchy mounted twice is listed once", () => {
    const hierarchies = hierarchiesFromMounts(parseCgroupMounts(HYBRID_MOUNTINFO), () => ["hugetlb"]);
    expect(hierarchies).toEqual([
      { version: 1, mountPoint: "/sys/fs/cgroup/cpu,cpuacct", controllers: ["cpu", "cpuacct"] },
      { version: 1, mountPoint: "/sys/fs/cgroup/memory", controllers: ["memory"] },
      { version: 1, mountPoint: "/sys/fs/cgroup/systemd", controllers: ["name=systemd"] },
      { version: 2, mountPoint: "/sys/fs/cgroup/unified", controllers: ["hugetlb"] },
    ]);
  });
});

describe("layout detection", () => {
  const hierarchies = hierarchiesFromMounts(parseCgroupMounts(HYBRID_MOUNTINFO), () => []);

  test("v1 controllers with a cgroup2 mount are hybrid", () => {
    expect(layoutFrom(HYBRID_PROC_CGROUP, hierarchies)).toBe("hybrid");
  });

  test("v1 controllers alone are v1", () => {
    expect(layoutFrom(HYBRID_PROC_CGROUP, hierarchies.filter((h) => h.version === 1))).toBe("v1");
  });

  test("cgroup2 alone is v2", () => {
    const v2 = hierarchiesFromMounts(parseCgroupMounts("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw"), () => ["cpu", "memory"]);
    expect(layoutFrom("0::/user.slice/session-1.scope\n", v2)).toBe("v2");
  });

  test("named v1 hierarchy does not make v2 hybrid", () => {
    const mounts = parseCgroupMounts(`30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
31 23 0:27 / /run/systemd-legacy rw - cgroup cgroup rw,name=systemd`);
    expect(layoutFrom("1:name=systemd:/\n0::/\n", hierarchiesFromMounts(mounts, () => []))).toBe("v2");
  });

  test("no cgroup mount is an error", () => {
    expect(() => layoutFrom("0::/\n", [])).toThrow("no cgroup filesystem is mounted");
  });
});

describe("owned parents", () => {
  test("default parent is owned below it", () => {
    expect(defaultOwnedTop("/sys/fs/cgroup/memory", "/ns/abc", "/sys/fs/cgroup/memory/ns/abc")).toBe("/sys/fs/cgroup/memory/ns");
    expect(defaultOwnedTop("/sys/fs/cgroup/memory", "/a/b", "/sys/fs/cgroup/memory/a/b")).toBe("/sys/fs/cgroup/memory/a/b");
  });

  test("chain runs from the owned top down", () => {
    expect(chainFrom("/c/ns", "/c/ns/a/b")).toEqual(["/c/ns", "/c/ns/a", "/c/ns/a/b"]);
    expect(chainFrom("/c/ns/a/b", "/c/ns/a/b")).toEqual(["/c/ns/a/b"]);
    expect(chainFrom("/c/other", "/c/ns/a")).toEqual(["/c/ns/a"]);
  });

  test("reopened paths find their hierarchies", () => {
    const hierarchies = [
      { version: 1 as const, mountPoint: "/sys/fs/cgroup/cpu,cpuacct", controllers: ["cpu", "cpuacct"] },
      { version: 2 as const, mountPoint: "/sys/fs/cgroup/unified", controllers: [] },
    ];
    const { members, path } = membersFromPaths(
      {
        cpu: "/sys/fs/cgroup/cpu,cpuacct/ns/abc",
        cpuacct: "/sys/fs/cgroup/cpu,cpuacct/ns/abc",
        unified: "/sys/fs/cgroup/unified/ns/abc",
      },
      { unified: "/sys/fs/cgroup/unified/ns/abc" },
      hierarchies,
    );
    expect(path).toBe("/ns/abc");
    expect(members.map((member) => [member.version, member.controllers, member.ownedTop])).toEqual([
      [1, ["cpu", "cpuacct"], "/sys/fs/cgroup/cpu,cpuacct/ns"],
      [2, [], "/sys/fs/cgroup/unified/ns/abc"],
    ]);
  });
});
