import { describe, expect, test } from "bun:test";
import {
  MOUNT_ATTR__ATIME,
  MOUNT_ATTR_NOATIME,
  MOUNT_ATTR_NODEV,
  MOUNT_ATTR_NOEXEC,
  MOUNT_ATTR_NOSUID,
  MOUNT_ATTR_RDONLY,
  MOUNT_ATTR_RELATIME,
  MOUNT_ATTR_STRICTATIME,
  MS_BIND,
  MS_DIRSYNC,
  MS_NOATIME,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REC,
  MS_RELATIME,
  MS_REMOUNT,
  MS_SHARED,
  MS_SLAVE,
  MS_STRICTATIME,
  MS_UNBINDABLE,
  needsRemount,
  parseMountOptions,
  propagationFlag,
} from "../../src/mounts/options.ts";

describe("parseMountOptions", () => {
  test("returns nothing set for no options", () => {
    expect(parseMountOptions()).toEqual({
      flags: 0,
      cleared: 0,
      propagation: [],
      recursive: { set: 0, clear: 0 },
      bind: false,
      rbind: false,
      idmap: false,
      tmpcopyup: false,
      data: [],
    });
  });

  test("sets the mount(2) flag of each option", () => {
    const parsed = parseMountOptions(["ro", "nosuid", "nodev", "noexec", "noatime", "dirsync"]);
    expect(parsed.flags).toBe(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_DIRSYNC);
    expect(parsed.cleared).toBe(0);
    expect(parsed.data).toEqual([]);
  });

  test("lets a later option undo an earlier one", () => {
    const parsed = parseMountOptions(["ro", "nosuid", "rw", "suid"]);
    expect(parsed.flags).toBe(0);
    expect(parsed.cleared).toBe(MS_RDONLY | MS_NOSUID);
  });

  test("forgets a clear when the flag is set again", () => {
    const parsed = parseMountOptions(["rw", "ro"]);
    expect(parsed.flags).toBe(MS_RDONLY);
    expect(parsed.cleared).toBe(0);
  });

  test("records dev, exec and atime as cleared flags", () => {
    const parsed = parseMountOptions(["dev", "exec", "atime"]);
    expect(parsed.flags).toBe(0);
    expect(parsed.cleared).toBe(MS_NODEV | MS_NOEXEC | MS_NOATIME);
  });

  test("treats defaults as no flag", () => {
    expect(parseMountOptions(["defaults"]).flags).toBe(0);
    expect(parseMountOptions(["defaults"]).data).toEqual([]);
  });

  test("keeps remount, relatime and strictatime as flags", () => {
    expect(parseMountOptions(["remount"]).flags).toBe(MS_REMOUNT);
    expect(parseMountOptions(["relatime"]).flags).toBe(MS_RELATIME);
    expect(parseMountOptions(["strictatime"]).flags).toBe(MS_STRICTATIME);
  });

  test("passes filesystem options on as data, in order", () => {
    const parsed = parseMountOptions(["nosuid", "mode=755", "size=65536k", "newinstance", "ptmxmode=0666"]);
    expect(parsed.flags).toBe(MS_NOSUID);
    expect(parsed.data).toEqual(["mode=755", "size=65536k", "newinstance", "ptmxmode=0666"]);
  });

  test("marks bind and rbind", () => {
    expect(parseMountOptions(["bind"])).toMatchObject({ bind: true, rbind: false, flags: 0 });
    expect(parseMountOptions(["rbind"])).toMatchObject({ bind: true, rbind: true, flags: 0 });
  });

  test("lists propagation changes in order, recursive ones with MS_REC", () => {
    const parsed = parseMountOptions(["rbind", "private", "rslave", "shared", "runbindable"]);
    expect(parsed.propagation).toEqual([MS_PRIVATE, MS_SLAVE | MS_REC, MS_SHARED, MS_UNBINDABLE | MS_REC]);
    expect(parsed.data).toEqual([]);
  });

  test("turns recursive options into mount_setattr attributes", () => {
    const parsed = parseMountOptions(["rbind", "rro", "rnosuid", "rnodev", "rnoexec"]);
    expect(parsed.recursive).toEqual({ set: MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, clear: 0 });
    expect(parsed.flags).toBe(0);
  });

  test("clears the whole atime field for a recursive atime option", () => {
    expect(parseMountOptions(["rnoatime"]).recursive).toEqual({ set: MOUNT_ATTR_NOATIME, clear: MOUNT_ATTR__ATIME });
    expect(parseMountOptions(["rstrictatime"]).recursive).toEqual({ set: MOUNT_ATTR_STRICTATIME, clear: MOUNT_ATTR__ATIME });
    expect(parseMountOptions(["rrelatime"]).recursive).toEqual({ set: MOUNT_ATTR_RELATIME, clear: MOUNT_ATTR__ATIME });
  });

  test("lets a later recursive atime option replace an earlier one", () => {
    expect(parseMountOptions(["rnoatime", "rstrictatime"]).recursive).toEqual({ set: MOUNT_ATTR_STRICTATIME, clear: MOUNT_ATTR__ATIME });
  });

  test("lets rrw clear what rro set", () => {
    expect(parseMountOptions(["rro", "rrw"]).recursive).toEqual({ set: 0, clear: MOUNT_ATTR_RDONLY });
  });

  test("marks idmap, ridmap and tmpcopyup", () => {
    expect(parseMountOptions(["idmap"])).toMatchObject({ idmap: true, rbind: false });
    expect(parseMountOptions(["ridmap"])).toMatchObject({ idmap: true, rbind: true });
    expect(parseMountOptions(["tmpcopyup"])).toMatchObject({ tmpcopyup: true, data: [] });
  });

  test("passes unknown words on as data", () => {
    expect(parseMountOptions(["context=system_u:object_r:x", "lowerdir=/a:/b"]).data).toEqual(["context=system_u:object_r:x", "lowerdir=/a:/b"]);
  });

  test("takes names of Object.prototype members as data", () => {
    const parsed = parseMountOptions(["constructor", "toString", "__proto__"]);
    expect(parsed.flags).toBe(0);
    expect(parsed.propagation).toEqual([]);
    expect(parsed.data).toEqual(["constructor", "toString", "__proto__"]);
  });

  test("does not turn bind into an MS_BIND flag", () => {
    expect(parseMountOptions(["bind"]).flags & MS_BIND).toBe(0);
  });
});

describe("needsRemount", () => {
  test("is false for a plain bind", () => {
    expect(needsRemount(parseMountOptions(["bind"]))).toBe(false);
    expect(needsRemount(parseMountOptions(["rbind", "rprivate"]))).toBe(false);
  });

  test("is true when a bind sets a flag", () => {
    expect(needsRemount(parseMountOptions(["bind", "ro"]))).toBe(true);
    expect(needsRemount(parseMountOptions(["rbind", "nosuid"]))).toBe(true);
  });

  test("is true when a bind clears a flag", () => {
    expect(needsRemount(parseMountOptions(["bind", "rw"]))).toBe(true);
  });

  test("ignores remount and silent on their own", () => {
    expect(needsRemount(parseMountOptions(["bind", "remount"]))).toBe(false);
    expect(needsRemount(parseMountOptions(["bind", "silent"]))).toBe(false);
  });
});

describe("propagationFlag", () => {
  test("returns the flags of the eight propagation names", () => {
    expect(propagationFlag("private")).toBe(MS_PRIVATE);
    expect(propagationFlag("rprivate")).toBe(MS_PRIVATE | MS_REC);
    expect(propagationFlag("shared")).toBe(MS_SHARED);
    expect(propagationFlag("rshared")).toBe(MS_SHARED | MS_REC);
    expect(propagationFlag("slave")).toBe(MS_SLAVE);
    expect(propagationFlag("rslave")).toBe(MS_SLAVE | MS_REC);
    expect(propagationFlag("unbindable")).toBe(MS_UNBINDABLE);
    expect(propagationFlag("runbindable")).toBe(MS_UNBINDABLE | MS_REC);
  });

  test("returns undefined for anything else", () => {
    expect(propagationFlag("ro")).toBeUndefined();
    expect(propagationFlag("")).toBeUndefined();
    expect(propagationFlag("toString")).toBeUndefined();
  });
});
