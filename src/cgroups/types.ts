// The structural types of `linux.resources` with the OCI JSON field names, and
// the statistics that Cgroup.stats() returns. Every field is optional and may
// be `undefined`, so that the output of the config schema stays assignable.

/**
 * An OCI int64 or uint64 value. JSON parsers may deliver large limits as
 * bigint; -1 means unlimited where the spec allows it.
 */
export type Int64 = number | bigint;

/** One entry of `linux.resources.devices`: an allow or deny rule, applied in list order. */
export interface LinuxDeviceCgroup {
  allow: boolean;
  /** "a" (all, the default), "c" (char) or "b" (block). */
  type?: string | undefined;
  /** Unset means every major number. */
  major?: Int64 | undefined;
  /** Unset means every minor number. */
  minor?: Int64 | undefined;
  /** Letters of "rwm" (read, write, mknod); unset means "rwm". */
  access?: string | undefined;
}

/**
 * `linux.resources.memory`, in bytes with -1 for unlimited. As runc does, ns
 * treats 0 in limit, reservation, swap, kernel and kernelTCP as unset, because
 * Go-based tools emit 0 for a limit they do not set.
 */
export interface LinuxMemory {
  limit?: Int64 | undefined;
  reservation?: Int64 | undefined;
  /** The memory+swap limit (cgroup v1 semantics), not swap alone. */
  swap?: Int64 | undefined;
  kernel?: Int64 | undefined;
  kernelTCP?: Int64 | undefined;
  swappiness?: Int64 | undefined;
  disableOOMKiller?: boolean | undefined;
  useHierarchy?: boolean | undefined;
  checkBeforeUpdate?: boolean | undefined;
}

/**
 * `linux.resources.cpu`; times in microseconds. As runc does, ns treats 0 in
 * shares, quota and period as unset.
 */
export interface LinuxCPU {
  shares?: Int64 | undefined;
  quota?: Int64 | undefined;
  burst?: Int64 | undefined;
  period?: Int64 | undefined;
  realtimeRuntime?: Int64 | undefined;
  realtimePeriod?: Int64 | undefined;
  cpus?: string | undefined;
  mems?: string | undefined;
  idle?: Int64 | undefined;
}

/** `linux.resources.pids`; -1 means no limit, and 0 is a real limit of zero tasks. */
export interface LinuxPids {
  limit?: Int64 | undefined;
}

export interface LinuxWeightDevice {
  major: Int64;
  minor: Int64;
  weight?: number | undefined;
  leafWeight?: number | undefined;
}

export interface LinuxThrottleDevice {
  major: Int64;
  minor: Int64;
  /** Bytes or I/O operations per second; 0 removes the limit. */
  rate: Int64;
}

/** `linux.resources.blockIO`. As runc does, ns treats a weight of 0 as unset. */
export interface LinuxBlockIO {
  weight?: number | undefined;
  leafWeight?: number | undefined;
  weightDevice?: readonly LinuxWeightDevice[] | undefined;
  throttleReadBpsDevice?: readonly LinuxThrottleDevice[] | undefined;
  throttleWriteBpsDevice?: readonly LinuxThrottleDevice[] | undefined;
  throttleReadIOPSDevice?: readonly LinuxThrottleDevice[] | undefined;
  throttleWriteIOPSDevice?: readonly LinuxThrottleDevice[] | undefined;
}

export interface LinuxHugepageLimit {
  /** The size as the kernel names it in file names: "64KB", "2MB", "1GB". */
  pageSize: string;
  limit: Int64;
}

export interface LinuxInterfacePriority {
  name: string;
  priority: number;
}

export interface LinuxNetwork {
  classID?: number | undefined;
  priorities?: readonly LinuxInterfacePriority[] | undefined;
}

export interface LinuxRdma {
  hcaHandles?: number | undefined;
  hcaObjects?: number | undefined;
}

/** `linux.resources` of the OCI runtime spec. */
export interface LinuxResources {
  devices?: readonly LinuxDeviceCgroup[] | undefined;
  memory?: LinuxMemory | undefined;
  cpu?: LinuxCPU | undefined;
  pids?: LinuxPids | undefined;
  blockIO?: LinuxBlockIO | undefined;
  hugepageLimits?: readonly LinuxHugepageLimit[] | undefined;
  network?: LinuxNetwork | undefined;
  rdma?: Readonly<Record<string, LinuxRdma>> | undefined;
  /** cgroup v2 interface files and the values to write to them, as given. */
  unified?: Readonly<Record<string, string>> | undefined;
}

// The statistics below have the shape of the "data" object of runc's
// `events --stats` output. Counters are numbers, so the "unlimited" sentinel
// of cgroup v1 (2^63 - 4096 on x86_64) loses its low digits.

export interface CpuUsageStats {
  /** Nanoseconds of CPU time, in total and split per CPU and by mode. */
  total: number;
  percpu?: number[];
  percpu_kernel?: number[];
  percpu_user?: number[];
  kernel: number;
  user: number;
}

export interface ThrottlingStats {
  periods: number;
  throttledPeriods: number;
  /** Nanoseconds. */
  throttledTime: number;
}

export interface MemoryEntryStats {
  limit: number;
  usage: number;
  max: number;
  failcnt: number;
}

export interface BlkioEntryStats {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface HugetlbEntryStats {
  usage: number;
  max: number;
  failcnt: number;
}

export interface CgroupStats {
  cpu: { usage: CpuUsageStats; throttling: ThrottlingStats };
  memory: {
    cache: number;
    usage: MemoryEntryStats;
    swap: MemoryEntryStats;
    kernel: MemoryEntryStats;
    kernelTCP: MemoryEntryStats;
    raw: Record<string, number>;
  };
  pids: { current: number; limit: number };
  blkio: { ioServiceBytesRecursive: BlkioEntryStats[]; ioServicedRecursive: BlkioEntryStats[] };
  /** Keyed by page size, such as "2MB". */
  hugetlb: Record<string, HugetlbEntryStats>;
}
