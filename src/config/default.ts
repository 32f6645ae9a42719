// The config that `ns spec` writes: the same document as `runc spec` (runc
// 1.1.5), and with `rootless`, as `runc spec --rootless`.
import { RUNC_DEFAULT_CAPABILITIES } from "../capabilities.ts";
import type { Mount, Spec } from "./schema.ts";

/**
 * The runtime-spec version ns writes and reports. runc 1.1.5 writes
 * "1.0.2-dev"; ns reads the fields of 1.2 (time offsets, idmapped mounts,
 * relative mount destinations), so it writes 1.2.0.
 */
export const OCI_VERSION = "1.2.0";

export interface DefaultSpecOptions {
  /** Map the container's root to the calling user in a new user namespace, without a network namespace or cgroup limits. */
  rootless: boolean;
  /** process.args; `["sh"]` when absent. */
  args?: string[];
  /** The host IDs mapped to root when rootless; the effective IDs of this process when absent. */
  uid?: number;
  gid?: number;
}

const NO_SUID_EXEC_DEV = ["nosuid", "noexec", "nodev"];

function defaultMounts(): Mount[] {
  return [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: [...NO_SUID_EXEC_DEV, "mode=1777", "size=65536k"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: [...NO_SUID_EXEC_DEV] },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: [...NO_SUID_EXEC_DEV, "ro"] },
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: [...NO_SUID_EXEC_DEV, "relatime", "ro"] },
  ];
}

/**
 * Rootless changes, as runc makes them: a new user namespace in place of the
 * network namespace, /sys bind-mounted because a new sysfs needs a network
 * namespace owned by the user namespace, no uid=/gid= mount options (those
 * IDs are unmapped), and no cgroup resources.
 */
function makeRootless(spec: Spec, uid: number, gid: number): void {
  const { namespaces = [], resources: _, ...linux } = spec.linux!;
  // Built in the order of runc's output, so that the two documents compare equal as text.
  spec.linux = {
    uidMappings: [{ containerID: 0, hostID: uid, size: 1 }],
    gidMappings: [{ containerID: 0, hostID: gid, size: 1 }],
    namespaces: [...namespaces.filter((ns) => ns.type !== "network" && ns.type !== "user"), { type: "user" }],
    ...linux,
  };
  spec.mounts = (spec.mounts ?? []).map((mount) => {
    if (mount.destination === "/sys") {
      return { destination: "/sys", type: "none", source: "/sys", options: ["rbind", ...NO_SUID_EXEC_DEV, "ro"] };
    }
    const options = mount.options?.filter((option) => !option.startsWith("uid=") && !option.startsWith("gid="));
    return options === undefined ? mount : { ...mount, options };
  });
}

/** Builds the default config.json of a bundle whose root filesystem is in `rootfs`. */
export function defaultSpec(options: DefaultSpecOptions): Spec {
  const capabilities = () => [...RUNC_DEFAULT_CAPABILITIES];
  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: options.args ?? ["sh"],
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
      cwd: "/",
      capabilities: {
        bounding: capabilities(),
        effective: capabilities(),
        permitted: capabilities(),
        ambient: capabilities(),
      },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024n, soft: 1024n }],
      noNewPrivileges: true,
    },
    root: { path: "rootfs", readonly: true },
    hostname: "ns",
    mounts: defaultMounts(),
    linux: {
      resources: { devices: [{ allow: false, access: "rwm" }] },
      namespaces: [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }],
      maskedPaths: [
        "/proc/acpi",
        "/proc/asound",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/sys/firmware",
        "/proc/scsi",
      ],
      readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
  };
  if (options.rootless) makeRootless(spec, options.uid ?? process.geteuid!(), options.gid ?? process.getegid!());
  return spec;
}
