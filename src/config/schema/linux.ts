// Schema of `linux` (OCI runtime-spec config-linux.md) except resources and
// seccomp, which have files of their own.
import * as v from "valibot";
import type { NamespaceType } from "../../namespaces.ts";
import { resourcesSchema } from "./resources.ts";
import { seccompSchema } from "./seccomp.ts";
import { int53, object, oneOf, record, stringMap, strings, uint32 } from "./types.ts";

export const NAMESPACE_TYPES = [
  "mount",
  "uts",
  "ipc",
  "pid",
  "network",
  "user",
  "cgroup",
  "time",
] as const satisfies readonly NamespaceType[];

export const namespaceSchema = object({
  type: oneOf(NAMESPACE_TYPES, "namespace type"),
  path: v.optional(v.string()),
});

export const idMappingSchema = object({
  containerID: uint32,
  hostID: uint32,
  size: uint32,
});

export const deviceSchema = object({
  type: oneOf(["c", "b", "u", "p"], "device type"),
  path: v.string(),
  major: v.optional(int53),
  minor: v.optional(int53),
  fileMode: v.optional(uint32),
  uid: v.optional(uint32),
  gid: v.optional(uint32),
});

export const timeOffsetSchema = object({
  secs: v.optional(int53),
  nanosecs: v.optional(uint32),
});

/** The spec lists the plain four. runc 1.1 also accepts the recursive forms, and so does ns. */
export const ROOTFS_PROPAGATIONS = [
  "private",
  "shared",
  "slave",
  "unbindable",
  "rprivate",
  "rshared",
  "rslave",
  "runbindable",
] as const;

export const intelRdtSchema = object({
  closID: v.optional(v.string()),
  schemata: v.optional(strings),
  l3CacheSchema: v.optional(v.string()),
  memBwSchema: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^MB:[^\n]*$/, (issue) => `expected a schema line starting with "MB:", got ${JSON.stringify(issue.input)}`),
    ),
  ),
  enableCMT: v.optional(v.boolean()),
  enableMBM: v.optional(v.boolean()),
  enableMonitoring: v.optional(v.boolean()),
});

export const personalitySchema = object({
  domain: oneOf(["LINUX", "LINUX32"], "personality domain"),
  flags: v.optional(strings),
});

export const linuxSchema = object({
  namespaces: v.optional(v.array(namespaceSchema)),
  uidMappings: v.optional(v.array(idMappingSchema)),
  gidMappings: v.optional(v.array(idMappingSchema)),
  timeOffsets: v.optional(record(oneOf(["boottime", "monotonic"], "clock"), timeOffsetSchema)),
  devices: v.optional(v.array(deviceSchema)),
  // Network devices to move into the container, keyed by their name on the host (runtime-spec 1.3).
  netDevices: v.optional(record(v.string(), object({ name: v.optional(v.string()) }))),
  cgroupsPath: v.optional(v.string()),
  resources: v.optional(resourcesSchema),
  rootfsPropagation: v.optional(oneOf(ROOTFS_PROPAGATIONS, "rootfs propagation")),
  seccomp: v.optional(seccompSchema),
  sysctl: v.optional(stringMap),
  maskedPaths: v.optional(strings),
  readonlyPaths: v.optional(strings),
  mountLabel: v.optional(v.string()),
  intelRdt: v.optional(intelRdtSchema),
  personality: v.optional(personalitySchema),
});
