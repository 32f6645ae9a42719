// Linux capability names and numbers (include/uapi/linux/capability.h, Linux
// 5.9 and later), bit masks of them, and the default sets of `runc spec` and Docker.
import { readFileSync } from "node:fs";
import { ConfigError } from "./config/error.ts";
import { SyscallError } from "./ffi/libc.ts";
import { constants } from "node:os";

export const CAPABILITIES = {
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
} as const;

export type CapabilityName = keyof typeof CAPABILITIES;

/** The highest capability number this table names. */
export const CAP_LAST_CAP = 40;

const NAMES_BY_NUMBER: readonly CapabilityName[] = (() => {
  const names: CapabilityName[] = [];
  for (const [name, number] of Object.entries(CAPABILITIES)) names[number] = name as CapabilityName;
  return names;
})();

/** The capabilities `runc spec` (runc 1.1.5) gives the container process in every set. */
export const RUNC_DEFAULT_CAPABILITIES: readonly CapabilityName[] = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

/** Docker's default capability set (moby's oci/caps/defaults.go), which most images expect. */
export const DOCKER_DEFAULT_CAPABILITIES: readonly CapabilityName[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/** Returns the number of a capability name such as "CAP_CHOWN", or undefined for a name this table lacks. */
export function capabilityNumber(name: string): number | undefined {
  return Object.hasOwn(CAPABILITIES, name) ? CAPABILITIES[name as CapabilityName] : undefined;
}

/** Returns the names of capabilities 0 to `last`, in number order. */
export function capabilityNames(last = CAP_LAST_CAP): CapabilityName[] {
  return NAMES_BY_NUMBER.slice(0, Math.min(last, CAP_LAST_CAP) + 1);
}

export interface MaskOptions {
  /**
   * The highest capability the running kernel has (see lastCapability). Names
   * above it are left out of the mask and passed to onUnavailable, as runc
   * does, because a kernel older than the config cannot grant them.
   */
  last?: number;
  onUnavailable?: (name: string) => void;
}

/**
 * ORs the bits of the named capabilities. `field` is the OCI field the names
 * came from, such as "process.capabilities.bounding"; an unknown name throws
 * ConfigError naming its index in that field.
 */
export function capabilityMask(names: readonly string[], field: string, options: MaskOptions = {}): bigint {
  let mask = 0n;
  names.forEach((name, index) => {
    const number = capabilityNumber(name);
    if (number === undefined) throw new ConfigError(`${field}[${index}]`, `unknown capability ${JSON.stringify(name)}`);
    if (options.last !== undefined && number > options.last) {
      options.onUnavailable?.(name);
      return;
    }
    mask |= 1n << BigInt(number);
  });
  return mask;
}

/** Lists the names of the bits set in mask, in number order. A bit this table does not name is written as its number. */
export function maskToNames(mask: bigint): string[] {
  const names: string[] = [];
  for (let bit = 0; mask >> BigInt(bit) !== 0n; bit++) {
    if ((mask >> BigInt(bit)) & 1n) names.push(NAMES_BY_NUMBER[bit] ?? String(bit));
  }
  return names;
}

let cachedLast: number | undefined;

/** Reads the highest capability number the running kernel supports from /proc/sys/kernel/cap_last_cap, once. */
export function lastCapability(file = "/proc/sys/kernel/cap_last_cap"): number {
  const useCache = file === "/proc/sys/kernel/cap_last_cap";
  if (useCache && cachedLast !== undefined) return cachedLast;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    const errno = (constants.errno as Record<string, number>)[code];
    if (errno === undefined) throw error;
    throw new SyscallError("open", errno, file, { cause: error });
  }
  const last = Number(text.trim());
  if (!Number.isInteger(last) || last < 0 || last > 63) {
    throw new Error(`${file}: expected a capability number from 0 to 63, got ${JSON.stringify(text.trim())}`);
  }
  if (useCache) cachedLast = last;
  return last;
}
