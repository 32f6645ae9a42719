// The schema of an OCI bundle's config.json for Linux (runtime-spec 1.0.0 to
// 1.2.x, and the netDevices of 1.3), and the types it yields.
//
// Field names are the JSON names, so other modules can declare structural
// types with the same names. Unknown members are dropped without error, as
// the spec requires; an unknown value of an enumerated field is an error.
// Members set to null count as absent (see json.ts). Semantic rules, such as
// absolute paths or a user namespace having mappings, are in validate.ts.
//
// Integers: memory sizes (linux.resources.memory.*), hugepage limits, blkio
// throttle rates, rlimits and seccomp argument values are bigints, since they
// use the full 64 bits (RLIM_INFINITY is 2^64-1, "unlimited" memory is -1 or
// 2^63-1). Every other integer is a number and must be a safe integer.
import * as v from "valibot";
import { linuxSchema } from "./schema/linux.ts";
import { processSchema } from "./schema/process.ts";
import { idMappingSchema } from "./schema/linux.ts";
import { integer, object, stringMap, strings } from "./schema/types.ts";

export const mountSchema = object({
  destination: v.string(),
  source: v.optional(v.string()),
  type: v.optional(v.string()),
  options: v.optional(strings),
  uidMappings: v.optional(v.array(idMappingSchema)),
  gidMappings: v.optional(v.array(idMappingSchema)),
});

export const hookSchema = object({
  path: v.string(),
  args: v.optional(strings),
  env: v.optional(strings),
  // Seconds; the JSON schema requires at least 1.
  timeout: v.optional(integer(1, Number.MAX_SAFE_INTEGER)),
});

const hookList = v.optional(v.array(hookSchema));

export const hooksSchema = object({
  prestart: hookList,
  createRuntime: hookList,
  createContainer: hookList,
  startContainer: hookList,
  poststart: hookList,
  poststop: hookList,
});

export const specSchema = object({
  ociVersion: v.string(),
  // `root` and `process` are optional in the JSON schema; validate.ts checks when they are required.
  root: v.optional(
    object({
      path: v.string(),
      readonly: v.optional(v.boolean()),
    }),
  ),
  mounts: v.optional(v.array(mountSchema)),
  process: v.optional(processSchema),
  hostname: v.optional(v.string()),
  domainname: v.optional(v.string()),
  hooks: v.optional(hooksSchema),
  annotations: v.optional(stringMap),
  linux: v.optional(linuxSchema),
});

type Defined<T> = Exclude<T, undefined>;
type Element<T> = Defined<T> extends readonly (infer E)[] ? E : never;

export type Spec = v.InferOutput<typeof specSchema>;
export type Root = Defined<Spec["root"]>;
export type Mount = v.InferOutput<typeof mountSchema>;
export type Hook = v.InferOutput<typeof hookSchema>;
export type Hooks = v.InferOutput<typeof hooksSchema>;
export type Process = v.InferOutput<typeof processSchema>;
export type User = Process["user"];
export type LinuxCapabilities = Defined<Process["capabilities"]>;
export type Rlimit = Element<Process["rlimits"]>;
export type Scheduler = Defined<Process["scheduler"]>;
export type IOPriority = Defined<Process["ioPriority"]>;
export type Linux = Defined<Spec["linux"]>;
export type LinuxNamespace = Element<Linux["namespaces"]>;
export type IdMapping = v.InferOutput<typeof idMappingSchema>;
export type LinuxDevice = Element<Linux["devices"]>;
export type LinuxTimeOffsets = Defined<Linux["timeOffsets"]>;
export type LinuxResources = Defined<Linux["resources"]>;
export type LinuxDeviceCgroup = Element<LinuxResources["devices"]>;
export type LinuxMemory = Defined<LinuxResources["memory"]>;
export type LinuxCPU = Defined<LinuxResources["cpu"]>;
export type LinuxPids = Defined<LinuxResources["pids"]>;
export type LinuxBlockIO = Defined<LinuxResources["blockIO"]>;
export type LinuxThrottleDevice = Element<LinuxBlockIO["throttleReadBpsDevice"]>;
export type LinuxWeightDevice = Element<LinuxBlockIO["weightDevice"]>;
export type LinuxHugepageLimit = Element<LinuxResources["hugepageLimits"]>;
export type LinuxNetwork = Defined<LinuxResources["network"]>;
export type Seccomp = Defined<Linux["seccomp"]>;
export type SeccompSyscall = Element<Seccomp["syscalls"]>;
export type SeccompArg = Element<SeccompSyscall["args"]>;
export type SeccompAction = Seccomp["defaultAction"];
export type IntelRdt = Defined<Linux["intelRdt"]>;
export type Personality = Defined<Linux["personality"]>;

export { NAMESPACE_TYPES, ROOTFS_PROPAGATIONS } from "./schema/linux.ts";
export { SECCOMP_ACTIONS, SECCOMP_ARCHITECTURES, SECCOMP_FLAGS, SECCOMP_OPERATORS } from "./schema/seccomp.ts";
export { IOPRIO_CLASSES, SCHEDULER_FLAGS, SCHEDULER_POLICIES } from "./schema/process.ts";
