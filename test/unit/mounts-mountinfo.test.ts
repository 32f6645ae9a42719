import { describe, expect, test } from "bun:test";
import { mountContaining, parseMountInfo, readMountInfo, type MountInfo } from "../../src/mounts/mountinfo.ts";

const SAMPLE = [
  "22 27 0:21 / /proc rw,relatime - proc proc rw",
  "45 27 254:0 /run/netns /run/netns rw,relatime shared:1 - ext4 /dev/vda rw,discard",
  "46 45 0:4 net:[4026532246] /run/netns/a rw shared:2 master:7 - nsfs nsfs rw",
  "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard",
  "60 27 0:50 / /mnt/with\\040space rw,nosuid - tmpfs my\\134source rw,size=1024k,mode=1770",
  "61 27 0:51 / /mnt/unbindable rw unbindable - tmpfs tmpfs rw",
].join("\n");

describe("parseMountInfo", () => {
  test("reads every field of a line without optional fields", () => {
    expect(parseMountInfo(SAMPLE)[0]).toEqual({
      id: 22,
      parent: 27,
      device: "0:21",
      root: "/",
      mountPoint: "/proc",
      options: "rw,relatime",
      optional: [],
      fsType: "proc",
      source: "proc",
      superOptions: "rw",
    });
  });

  test("collects the optional fields before the separator", () => {
    const mounts = parseMountInfo(SAMPLE);
    expect(mounts[1]!.optional).toEqual(["shared:1"]);
    expect(mounts[2]!.optional).toEqual(["shared:2", "master:7"]);
    expect(mounts[2]!.fsType).toBe("nsfs");
    expect(mounts[5]!.optional).toEqual(["unbindable"]);
  });

  test("keeps a root other than /", () => {
    expect(parseMountInfo(SAMPLE)[1]!.root).toBe("/run/netns");
    expect(parseMountInfo(SAMPLE)[2]!.root).toBe("net:[4026532246]");
  });

  test("undoes the kernel's octal escapes", () => {
    const m = parseMountInfo(SAMPLE)[4]!;
    expect(m.mountPoint).toBe("/mnt/with space");
    expect(m.source).toBe("my\\source");
    expect(m.superOptions).toBe("rw,size=1024k,mode=1770");
  });

  test("skips empty and malformed lines", () => {
    expect(parseMountInfo("\n\nnot a mountinfo line\n22 27 0:21 / /proc rw - proc\n")).toEqual([]);
  });

  test("parses this process's own mount table", () => {
    const mounts = readMountInfo();
    expect(mounts.length).toBeGreaterThan(0);
    expect(mounts.some((m) => m.mountPoint === "/")).toBe(true);
    for (const m of mounts) expect(m.mountPoint).toStartWith("/");
  });
});

describe("mountContaining", () => {
  const mounts: MountInfo[] = parseMountInfo(SAMPLE);

  test("finds the longest mount point that holds the path", () => {
    expect(mountContaining(mounts, "/run/netns/a")?.id).toBe(46);
    expect(mountContaining(mounts, "/run/netns/b")?.id).toBe(45);
    expect(mountContaining(mounts, "/proc/self")?.id).toBe(22);
  });

  test("falls back to the root mount", () => {
    expect(mountContaining(mounts, "/usr/bin")?.id).toBe(27);
    expect(mountContaining(mounts, "/")?.id).toBe(27);
  });

  test("does not take a name prefix for a parent directory", () => {
    expect(mountContaining(mounts, "/procfs")?.id).toBe(27);
    expect(mountContaining(mounts, "/run/netns-other")?.id).toBe(27);
  });

  test("takes the mount on top when two share a mount point", () => {
    const stacked = parseMountInfo("27 1 254:0 / / rw - ext4 /dev/vda rw\n30 27 0:40 / /tmp rw - tmpfs a rw\n31 30 0:41 / /tmp rw - tmpfs b rw");
    expect(mountContaining(stacked, "/tmp/x")?.source).toBe("b");
  });

  test("returns undefined without mounts", () => {
    expect(mountContaining([], "/x")).toBeUndefined();
  });
});
