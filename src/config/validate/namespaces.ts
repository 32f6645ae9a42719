// Checks that tie fields to the namespaces they need, so that a setting meant
// for the container cannot land on the host's namespace instead.
import { fieldPath } from "../error.ts";
import type { IdMapping, Spec } from "../schema.ts";
import { createsNamespace, fail, hasNamespace, namespaceEntry, requireAbsolute, type Warn } from "./check.ts";

export function checkNamespaceList(spec: Spec): void {
  const seen = new Map<string, number>();
  spec.linux?.namespaces?.forEach((ns, i) => {
    const first = seen.get(ns.type);
    if (first !== undefined) {
      fail(`linux.namespaces[${i}].type`, `duplicate namespace type ${JSON.stringify(ns.type)} (also at linux.namespaces[${first}])`);
    }
    seen.set(ns.type, i);
    if (ns.path !== undefined && ns.path !== "") requireAbsolute(ns.path, `linux.namespaces[${i}].path`);
  });
}

export function checkUserNamespace(spec: Spec, warn: Warn): void {
  const entry = namespaceEntry(spec, "user");
  const mappings = { uidMappings: spec.linux?.uidMappings ?? [], gidMappings: spec.linux?.gidMappings ?? [] };
  for (const [name, list] of Object.entries(mappings)) {
    const field = `linux.${name}`;
    if (entry === undefined) {
      if (list.length > 0) fail(field, "set, but linux.namespaces has no user namespace to apply it to");
    } else if (entry.path) {
      // runc reads the joined namespace's mappings and fails if these differ.
      // ns does not read them, so it ignores these with a warning.
      if (list.length > 0) warn(field, `ignored, because the user namespace is joined from ${JSON.stringify(entry.path)}`);
    } else if (list.length === 0) {
      fail(field, "required, because linux.namespaces creates a user namespace");
    }
  }
}

// Limits of map_write() in kernel/user_namespace.c (Linux 4.15 and later).
const MAX_EXTENTS = 340;
const NO_ID = 0xffff_ffff;

/**
 * Checks a uid_map or gid_map before the kernel does, so that the error names
 * the entry: each range must be non-empty, must stay below (u32)-1, which the
 * kernel reserves, and must not overlap another range on either side.
 */
export function checkIdMappings(list: readonly IdMapping[], field: string): void {
  if (list.length > MAX_EXTENTS) fail(field, `${list.length} entries, but the kernel takes at most ${MAX_EXTENTS}`);
  list.forEach((m, i) => {
    const entry = `${field}[${i}]`;
    if (m.size === 0) fail(`${entry}.size`, "expected at least 1");
    for (const side of ["containerID", "hostID"] as const) {
      if (m[side] + m.size > NO_ID) {
        fail(entry, `${side} ${m[side]} + size ${m.size} passes ${NO_ID - 1}, the highest ID a mapping can reach`);
      }
      for (let j = 0; j < i; j++) {
        const other = list[j]!;
        if (m[side] < other[side] + other.size && other[side] < m[side] + m.size) {
          fail(entry, `${side} range overlaps ${field}[${j}]`);
        }
      }
    }
  });
}

export function checkMappingRanges(spec: Spec): void {
  checkIdMappings(spec.linux?.uidMappings ?? [], "linux.uidMappings");
  checkIdMappings(spec.linux?.gidMappings ?? [], "linux.gidMappings");
}

export function checkTimeNamespace(spec: Spec): void {
  const offsets = spec.linux?.timeOffsets;
  if (offsets === undefined || Object.keys(offsets).length === 0) return;
  const entry = namespaceEntry(spec, "time");
  if (entry === undefined) fail("linux.timeOffsets", "set, but linux.namespaces has no time namespace to apply it to");
  if (entry.path) {
    fail("linux.timeOffsets", `set, but the time namespace is joined from ${JSON.stringify(entry.path)}, whose offsets are fixed`);
  }
}

/** Without a uts namespace of its own, sethostname(2) would rename the host. */
export function checkUtsNamespace(spec: Spec): void {
  for (const field of ["hostname", "domainname"] as const) {
    if (spec[field] && !hasNamespace(spec, "uts")) {
      fail(field, `set, but linux.namespaces has no uts namespace, so setting it would change the host's ${field}`);
    }
  }
}

/**
 * maskedPaths and readonlyPaths are mounts over paths in the container, which
 * would cover the host's own /proc and /sys without a mount namespace.
 */
export function checkMaskedAndReadonlyPaths(spec: Spec): void {
  for (const field of ["maskedPaths", "readonlyPaths"] as const) {
    const paths = spec.linux?.[field] ?? [];
    paths.forEach((path, i) => requireAbsolute(path, `linux.${field}[${i}]`));
    if (paths.length > 0 && !hasNamespace(spec, "mount")) {
      fail(`linux.${field}`, "set, but linux.namespaces has no mount namespace, so the mounts would change the host's");
    }
  }
}

/**
 * Warns about a sysfs mount that the kernel will refuse. A new sysfs mount
 * needs CAP_SYS_ADMIN in the user namespace that owns the current network
 * namespace (fs/sysfs/mount.c), and a process in a new user namespace has that
 * only over a network namespace created inside it. Without a user namespace,
 * the host's network namespace is fine: the mount still lands in the
 * container's mount namespace, and a read-only /sys there changes nothing on
 * the host.
 */
export function checkSysfsMount(spec: Spec, warn: Warn): void {
  if (!createsNamespace(spec, "user") || hasNamespace(spec, "network")) return;
  spec.mounts?.forEach((mount, i) => {
    if (mount.type === "sysfs") {
      warn(
        `mounts[${i}]`,
        "a new sysfs mount in a new user namespace needs a new network namespace too, so the kernel will refuse it with EPERM; " +
          'bind-mount /sys instead (type "none", options ["rbind", "ro"]), as runc spec --rootless does',
      );
    }
  });
}

/**
 * Reports whether the kernel rejects an interface name (dev_valid_name() in
 * net/core/dev.c): empty, over 15 bytes, "." or "..", or with "/", ":" or whitespace.
 */
function invalidInterfaceName(name: string): boolean {
  return name === "" || Buffer.byteLength(name) > 15 || name === "." || name === ".." || /[/:\s]/.test(name);
}

export function checkNetDevices(spec: Spec): void {
  const devices = spec.linux?.netDevices;
  if (devices === undefined || Object.keys(devices).length === 0) return;
  if (!hasNamespace(spec, "network")) {
    fail("linux.netDevices", "set, but linux.namespaces has no network namespace to move the devices into");
  }
  for (const [hostName, device] of Object.entries(devices)) {
    const field = fieldPath(["linux", "netDevices", hostName]);
    if (invalidInterfaceName(hostName)) fail(field, `invalid interface name ${JSON.stringify(hostName)}`);
    if (device.name !== undefined && invalidInterfaceName(device.name)) {
      fail(`${field}.name`, `invalid interface name ${JSON.stringify(device.name)}`);
    }
  }
}
