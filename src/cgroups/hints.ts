// Explanations for the errno values that cgroup interface files return, so
// that an error explains what the kernel objects to instead of only "EINVAL".

interface Hint {
  file: RegExp;
  code: string;
  text: string;
}

const hints: readonly Hint[] = [
  { file: /^memory\.memsw\./, code: "ENOENT", text: "The kernel does not account swap. Boot it with swapaccount=1, or leave linux.resources.memory.swap unset." },
  { file: /^memory\.(memsw\.)?limit_in_bytes$/, code: "EBUSY", text: "The cgroup already uses more memory than the new limit." },
  { file: /^memory\.(memsw\.)?limit_in_bytes$/, code: "EINVAL", text: "On cgroup v1 the memory limit must not exceed the memory+swap limit (linux.resources.memory.swap)." },
  { file: /^memory\.use_hierarchy$/, code: "EINVAL", text: "This kernel accounts memory hierarchically in every cgroup and accepts only 1." },
  { file: /^memory\.kmem\./, code: "ENOENT", text: "This kernel has no kernel memory limits." },
  { file: /^memory\.kmem\./, code: "EOPNOTSUPP", text: "This kernel no longer supports kernel memory limits." },
  { file: /^memory\.swap\./, code: "ENOENT", text: "The kernel does not account swap. Boot it with swapaccount=1, or leave linux.resources.memory.swap unset." },
  { file: /^blkio\.(bfq\.)?weight(_device)?$/, code: "ENOENT", text: "blkio weights need the BFQ I/O scheduler on the device." },
  { file: /^blkio\.leaf_weight/, code: "ENOENT", text: "Leaf weights belonged to the CFQ I/O scheduler, which Linux 5.0 removed." },
  { file: /^blkio\.throttle\.|^io\.max$/, code: "ENODEV", text: "No block device has this major:minor number." },
  { file: /^io\.(bfq\.)?weight$/, code: "ENOENT", text: "I/O weights need the BFQ I/O scheduler or the iocost controller." },
  { file: /^cpu\.rt_/, code: "ENOENT", text: "The kernel was built without CONFIG_RT_GROUP_SCHED." },
  {
    file: /^cpu\.rt_(runtime|period)_us$/,
    code: "EINVAL",
    text: "The runtime must not exceed the period, and the parent cgroup must have that much real-time runtime left (see its cpu.rt_runtime_us).",
  },
  { file: /^cpu\.rt_runtime_us$/, code: "EBUSY", text: "The parent cgroup has less real-time runtime left than requested (see its cpu.rt_runtime_us)." },
  { file: /^cpu\.cfs_burst_us$|^cpu\.max\.burst$/, code: "ENOENT", text: "CPU burst needs Linux 5.14 or later." },
  { file: /^cpu\.cfs_burst_us$|^cpu\.max\.burst$/, code: "EINVAL", text: "The burst must not exceed the quota." },
  { file: /^cpu\.idle$/, code: "ENOENT", text: "cpu.idle needs Linux 5.15 or later." },
  { file: /^cpu\.(cfs_quota_us|cfs_period_us|max)$/, code: "EINVAL", text: "The period must be 1000 to 1000000 microseconds, the quota at least 1000, and the quota/period ratio within the parent's." },
  { file: /^cpuset\./, code: "EINVAL", text: "The CPUs or memory nodes must exist, be online, and belong to the parent's cpuset." },
  { file: /^cpuset\./, code: "ENOSPC", text: "The cgroup would have no CPU or memory node left." },
  { file: /^cpuset\./, code: "ERANGE", text: "The list names a CPU or memory node number beyond those of this machine." },
  { file: /^hugetlb\./, code: "ENOENT", text: "This host has no huge pages of that size." },
  { file: /^devices\.(allow|deny)$/, code: "EPERM", text: "The parent cgroup does not allow this device access, and a child cannot allow more than its parent." },
  { file: /^net_prio\.ifpriomap$/, code: "ENODEV", text: "No network interface of that name exists in ns's network namespace." },
  { file: /^rdma\.max$/, code: "EINVAL", text: "No RDMA device of that name exists." },
  { file: /^cgroup\.procs$/, code: "ESRCH", text: "The process does not exist." },
  {
    file: /^cgroup\.procs$/,
    code: "EBUSY",
    text: "Under cgroup v2 a process can only join a cgroup that has no controllers enabled in its cgroup.subtree_control (the no-internal-process rule).",
  },
  { file: /^cgroup\.procs$/, code: "EOPNOTSUPP", text: "The cgroup is threaded, and a process can only join a domain cgroup." },
  {
    file: /^cgroup\.subtree_control$/,
    code: "EBUSY",
    text: "The cgroup has processes of its own. Under cgroup v2 a cgroup that enables controllers for its children may contain no processes (the no-internal-process rule), so move them into a leaf cgroup first.",
  },
  { file: /^cgroup\.subtree_control$/, code: "ENOENT", text: "The controller is not listed in this cgroup's cgroup.controllers, so its parent must enable it first." },
  { file: /^cgroup\.freeze$|^cgroup\.kill$/, code: "ENOENT", text: "This kernel lacks the file (cgroup.freeze needs Linux 5.2, cgroup.kill Linux 5.14)." },
];

/** Returns a sentence that explains why writing `file` failed with the errno named `code`, if one is known. */
export function explainWriteError(file: string, code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  return hints.find((hint) => hint.code === code && hint.file.test(file))?.text;
}
