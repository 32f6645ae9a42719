// Schema of `linux.resources`: the cgroup settings (OCI runtime-spec
// config-linux.md, "Control groups"). Fields keep the spec's names; memory
// sizes and byte rates are bigints because they use the whole int64/uint64 range.
import * as v from "valibot";
import { int53, int64, integer, object, oneOf, record, stringMap, uint16, uint32, uint53, uint64, UINT64_MAX_VALUE } from "./types.ts";

export const deviceRuleSchema = object({
  allow: v.boolean(),
  // The spec defines an absent type as "a" (all).
  type: v.optional(oneOf(["a", "c", "b"], "device cgroup type")),
  major: v.optional(int53),
  minor: v.optional(int53),
  access: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[rwm]*$/, (issue) => `expected letters from "rwm", got ${JSON.stringify(issue.input)}`),
    ),
  ),
});

export const memorySchema = object({
  limit: v.optional(int64),
  reservation: v.optional(int64),
  swap: v.optional(int64),
  kernel: v.optional(int64),
  kernelTCP: v.optional(int64),
  // runc 1.1 treats uint64(-1) as an unset swappiness (Docker's API uses -1
  // for unset), and so does this schema.
  swappiness: v.optional(
    v.pipe(
      uint64,
      v.transform((value: bigint) => (value === UINT64_MAX_VALUE ? undefined : value)),
      v.check(
        (value: bigint | undefined) => value === undefined || value <= 100n,
        (issue) => `expected an integer from 0 to 100, got ${String(issue.input)}`,
      ),
      v.transform((value: bigint | undefined) => (value === undefined ? undefined : Number(value))),
    ),
  ),
  disableOOMKiller: v.optional(v.boolean()),
  useHierarchy: v.optional(v.boolean()),
  checkBeforeUpdate: v.optional(v.boolean()),
});

export const cpuSchema = object({
  shares: v.optional(uint53),
  quota: v.optional(int53),
  burst: v.optional(uint53),
  period: v.optional(uint53),
  realtimeRuntime: v.optional(int53),
  realtimePeriod: v.optional(uint53),
  cpus: v.optional(v.string()),
  mems: v.optional(v.string()),
  // cpu.idle takes 0 or 1 (Linux 5.15).
  idle: v.optional(integer(0, 1)),
});

const blockIODevice = { major: int53, minor: int53 };

export const weightDeviceSchema = object({
  ...blockIODevice,
  weight: v.optional(uint16),
  leafWeight: v.optional(uint16),
});

export const throttleDeviceSchema = object({
  ...blockIODevice,
  // Go's encoding/json leaves an absent rate at 0, which removes the limit.
  rate: v.optional(uint64, 0),
});

const throttleList = v.optional(v.array(throttleDeviceSchema));

export const blockIOSchema = v.pipe(
  object({
    weight: v.optional(uint16),
    leafWeight: v.optional(uint16),
    weightDevice: v.optional(v.array(weightDeviceSchema)),
    throttleReadBpsDevice: throttleList,
    throttleWriteBpsDevice: throttleList,
    throttleReadIOPSDevice: throttleList,
    throttleWriteIOPSDevice: throttleList,
    // The runtime-spec 1.0.0 JSON schema spelled these "Iops"; its Go types,
    // and every later version, spell them "IOPS".
    throttleReadIopsDevice: throttleList,
    throttleWriteIopsDevice: throttleList,
  }),
  v.transform(({ throttleReadIopsDevice, throttleWriteIopsDevice, ...blockIO }) => ({
    ...blockIO,
    throttleReadIOPSDevice: blockIO.throttleReadIOPSDevice ?? throttleReadIopsDevice,
    throttleWriteIOPSDevice: blockIO.throttleWriteIOPSDevice ?? throttleWriteIopsDevice,
  })),
);

export const hugepageLimitSchema = object({
  pageSize: v.pipe(
    v.string(),
    v.regex(/^[1-9][0-9]*[KMG]B$/, (issue) => `expected a page size such as "2MB" or "1GB", got ${JSON.stringify(issue.input)}`),
  ),
  limit: uint64,
});

export const networkSchema = object({
  classID: v.optional(uint32),
  priorities: v.optional(v.array(object({ name: v.string(), priority: uint32 }))),
});

export const rdmaSchema = record(
  v.string(),
  object({
    hcaHandles: v.optional(uint32),
    hcaObjects: v.optional(uint32),
  }),
);

export const resourcesSchema = object({
  devices: v.optional(v.array(deviceRuleSchema)),
  memory: v.optional(memorySchema),
  cpu: v.optional(cpuSchema),
  pids: v.optional(object({ limit: int53 })),
  blockIO: v.optional(blockIOSchema),
  hugepageLimits: v.optional(v.array(hugepageLimitSchema)),
  network: v.optional(networkSchema),
  rdma: v.optional(rdmaSchema),
  unified: v.optional(stringMap),
});
