// The zero-config container of `ns run -- CMD`: the host's root, read-only,
// with a fresh /proc, /dev, /run and /tmp, in new mount, pid, uts and ipc
// namespaces, as root with the usual default capabilities but CAP_MKNOD. The
// caller's environment and working directory carry over, as they would for
// any command a CI job runs.
import { DOCKER_DEFAULT_CAPABILITIES } from "../capabilities.ts";
import type { Spec } from "./schema.ts";

/**
 * Docker's defaults without CAP_MKNOD: the sandbox has no devices cgroup, so
 * a node it made for a host disk would open that disk.
 */
const HOST_CAPABILITIES = DOCKER_DEFAULT_CAPABILITIES.filter((cap) => cap !== "CAP_MKNOD");

export function hostSpec(args: readonly string[], env: Record<string, string | undefined>, cwd: string): Spec {
  const environment = Object.entries(env)
    .filter(([k, v]) => v !== undefined && !k.startsWith("_NS_"))
    .map(([k, v]) => `${k}=${v}`);
  const spec = {
    ociVersion: "1.2.0",
    root: { path: "/", readonly: true },
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [...args],
      env: environment,
      cwd,
      capabilities: {
        bounding: [...HOST_CAPABILITIES],
        effective: [...HOST_CAPABILITIES],
        permitted: [...HOST_CAPABILITIES],
      },
      noNewPrivileges: true,
    },
    mounts: [
      { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
      { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
      { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
      // A fresh /run hides the host daemons' sockets (docker.sock, D-Bus and
      // the like): a read-only mount does not stop connect(2).
      { destination: "/run", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=755"] },
      { destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777"] },
      // A caller working below /tmp keeps its directory, read-only like the rest of the host.
      ...(cwd.startsWith("/tmp/") ? [{ destination: cwd, type: "bind", source: cwd, options: ["rbind", "ro", "nosuid", "nodev"] }] : []),
    ],
    linux: {
      namespaces: [{ type: "mount" }, { type: "pid" }, { type: "uts" }, { type: "ipc" }],
      // The host's network namespace is shared: /proc/sys must stay read-only,
      // or root in the sandbox could change the host's sysctls.
      maskedPaths: [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
      ],
      readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
  };
  return spec as unknown as Spec;
}
