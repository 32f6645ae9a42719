import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CAP_LAST_CAP,
  CAPABILITIES,
  capabilityMask,
  capabilityNames,
  capabilityNumber,
  DOCKER_DEFAULT_CAPABILITIES,
  lastCapability,
  maskToNames,
  RUNC_DEFAULT_CAPABILITIES,
} from "../../src/capabilities.ts";
import { ConfigError } from "../../src/config/error.ts";
import { SyscallError } from "../../src/ffi/libc.ts";

describe("capability table", () => {
  test("numbers run from 0 to 40 without gaps", () => {
    const numbers: number[] = Object.values(CAPABILITIES).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: CAP_LAST_CAP + 1 }, (_, i) => i));
  });

  test("kernel numbers of a few capabilities", () => {
    expect(capabilityNumber("CAP_CHOWN")).toBe(0);
    expect(capabilityNumber("CAP_NET_BIND_SERVICE")).toBe(10);
    expect(capabilityNumber("CAP_SYS_ADMIN")).toBe(21);
    expect(capabilityNumber("CAP_AUDIT_WRITE")).toBe(29);
    expect(capabilityNumber("CAP_SETFCAP")).toBe(31);
    expect(capabilityNumber("CAP_CHECKPOINT_RESTORE")).toBe(40);
  });

  test("unknown names have no number", () => {
    expect(capabilityNumber("CAP_TEST")).toBeUndefined();
    expect(capabilityNumber("cap_chown")).toBeUndefined();
    expect(capabilityNumber("toString")).toBeUndefined();
  });

  test("capabilityNames stops at last", () => {
    expect(capabilityNames(2)).toEqual(["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH"]);
    expect(capabilityNames()).toHaveLength(41);
    expect(capabilityNames(63)).toHaveLength(41);
  });
});

describe("capabilityMask", () => {
  test("sets the bit of each name", () => {
    expect(capabilityMask(["CAP_CHOWN", "CAP_KILL"], "process.capabilities.bounding")).toBe(0b100001n);
    expect(capabilityMask(["CAP_CHECKPOINT_RESTORE"], "f")).toBe(1n << 40n);
    expect(capabilityMask([], "f")).toBe(0n);
  });

  test("unknown name names the field and index", () => {
    let error: unknown;
    try {
      capabilityMask(["CAP_KILL", "CAP_TEST"], "process.capabilities.bounding");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('process.capabilities.bounding[1]: unknown capability "CAP_TEST"');
    expect((error as ConfigError).field).toBe("process.capabilities.bounding[1]");
  });

  test("names above kernel last are reported", () => {
    const unavailable: string[] = [];
    const mask = capabilityMask(["CAP_KILL", "CAP_BPF", "CAP_PERFMON"], "f", { last: 37, onUnavailable: (name) => unavailable.push(name) });
    expect(mask).toBe(1n << 5n);
    expect(unavailable).toEqual(["CAP_BPF", "CAP_PERFMON"]);
  });

  test("maskToNames reverses capabilityMask", () => {
    const names = [...DOCKER_DEFAULT_CAPABILITIES];
    const back = maskToNames(capabilityMask(names, "f"));
    expect(back.sort()).toEqual(names.sort());
    expect(maskToNames(0n)).toEqual([]);
  });

  test("maskToNames writes unnamed bits as numbers", () => {
    expect(maskToNames((1n << 41n) | 1n)).toEqual(["CAP_CHOWN", "41"]);
  });
});

describe("default sets", () => {
  test("runc spec set", () => {
    expect(RUNC_DEFAULT_CAPABILITIES).toEqual(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
  });

  test("Docker set has its 14 names, all known", () => {
    expect(DOCKER_DEFAULT_CAPABILITIES).toHaveLength(14);
    for (const name of DOCKER_DEFAULT_CAPABILITIES) expect(capabilityNumber(name)).toBeNumber();
    expect(DOCKER_DEFAULT_CAPABILITIES).not.toContain("CAP_SYS_ADMIN");
  });
});

describe("lastCapability", () => {
  test("reads the running kernel's value", () => {
    const last = lastCapability();
    expect(last).toBeGreaterThanOrEqual(36);
    expect(last).toBeLessThanOrEqual(63);
  });

  test("parses a given file", () => {
    const dir = mkdtempSync(join(tmpdir(), "ns-cap-test-"));
    try {
      writeFileSync(join(dir, "cap_last_cap"), "37\n");
      expect(lastCapability(join(dir, "cap_last_cap"))).toBe(37);
      writeFileSync(join(dir, "bad"), "x\n");
      expect(() => lastCapability(join(dir, "bad"))).toThrow(`${dir}/bad: expected a capability number from 0 to 63, got "x"`);
      expect(() => lastCapability(join(dir, "missing"))).toThrow(SyscallError);
      expect(() => lastCapability(join(dir, "missing"))).toThrow(`open "${dir}/missing": ENOENT (no such file or directory)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(existsSync(dir)).toBe(false);
  });
});
