// The OCI device allow list (linux.resources.devices) in a checked form that
// the cgroup v1 devices controller and the cgroup v2 BPF program share, and
// the rules a runtime adds for the devices every container gets.
import { CgroupError } from "./errors.ts";
import type { LinuxDeviceCgroup } from "./types.ts";
import { toBigInt, UINT32_MAX } from "./values.ts";

export const DEVICES_FIELD = "linux.resources.devices";

/** A checked device rule: null major or minor matches every number. */
export interface DeviceRule {
  allow: boolean;
  type: "a" | "b" | "c";
  major: number | null;
  minor: number | null;
  /** The letters of "rwm" that the rule covers, in that order. */
  access: string;
}

/**
 * The rules for the devices that the OCI runtime spec requires in every
 * container: /dev/null, zero, full, random, urandom, tty, console, ptmx and
 * the pseudo-terminals under /dev/pts. The first two allow mknod of any
 * device node, as runc does, because creating a node grants no access to the
 * device. Apply them after the config's rules so that a config cannot deny
 * them.
 */
export const defaultDeviceRules: readonly LinuxDeviceCgroup[] = [
  { allow: true, type: "c", access: "m" },
  { allow: true, type: "b", access: "m" },
  { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }, // /dev/null
  { allow: true, type: "c", major: 1, minor: 5, access: "rwm" }, // /dev/zero
  { allow: true, type: "c", major: 1, minor: 7, access: "rwm" }, // /dev/full
  { allow: true, type: "c", major: 1, minor: 8, access: "rwm" }, // /dev/random
  { allow: true, type: "c", major: 1, minor: 9, access: "rwm" }, // /dev/urandom
  { allow: true, type: "c", major: 5, minor: 0, access: "rwm" }, // /dev/tty
  { allow: true, type: "c", major: 5, minor: 1, access: "rwm" }, // /dev/console
  { allow: true, type: "c", major: 5, minor: 2, access: "rwm" }, // /dev/ptmx
  { allow: true, type: "c", major: 136, access: "rwm" }, // /dev/pts/*
];

function deviceNumber(value: LinuxDeviceCgroup["major"], field: string): number | null {
  if (value === undefined) return null;
  const n = toBigInt(value, field);
  if (n === -1n) return null;
  if (n < 0n || n > UINT32_MAX) throw new CgroupError(`${field}: ${n} is not a device number, expected 0 to ${UINT32_MAX} or -1 for all`);
  return Number(n);
}

/** Checks one OCI device rule and fills in the defaults. `field` is its path, such as "linux.resources.devices[2]". */
export function parseDeviceRule(rule: LinuxDeviceCgroup, field: string): DeviceRule {
  if (typeof rule.allow !== "boolean") throw new CgroupError(`${field}.allow: expected true or false`);
  const type = rule.type === undefined || rule.type === "" ? "a" : rule.type;
  if (type !== "a" && type !== "b" && type !== "c") {
    throw new CgroupError(`${field}.type: ${JSON.stringify(rule.type)} is not a device type, expected "a", "b" or "c"`);
  }
  const access = rule.access === undefined || rule.access === "" ? "rwm" : rule.access;
  if (!/^[rwm]+$/.test(access)) {
    throw new CgroupError(`${field}.access: ${JSON.stringify(rule.access)} is not an access string, expected letters of "rwm"`);
  }
  return {
    allow: rule.allow,
    type,
    major: deviceNumber(rule.major, `${field}.major`),
    minor: deviceNumber(rule.minor, `${field}.minor`),
    access: ["r", "w", "m"].filter((letter) => access.includes(letter)).join(""),
  };
}

export function parseDeviceRules(rules: readonly LinuxDeviceCgroup[], field = DEVICES_FIELD): DeviceRule[] {
  return rules.map((rule, index) => parseDeviceRule(rule, `${field}[${index}]`));
}

/** True for a rule that covers every access to every device. */
export function isWildcardRule(rule: DeviceRule): boolean {
  return rule.type === "a" && rule.major === null && rule.minor === null && rule.access === "rwm";
}
