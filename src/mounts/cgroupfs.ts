// A "cgroup" mount inside the container. With cgroup v1 it is a tmpfs holding
// one mount per hierarchy, as on the host; with cgroup v2, one cgroup2 mount.
// With a cgroup namespace the kernel shows the container's cgroup as the root
// of each hierarchy; without one, the container's own cgroup directories are
// bind-mounted so the container still sees only its own cgroup.
import { existsSync } from "node:fs";
import { mount, symlink, SyscallError } from "../ffi/libc.ts";
import { readMountInfo } from "./mountinfo.ts";
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, type ParsedOptions } from "./options.ts";
import { mkdirAll } from "./paths.ts";
import type { RootfsContext } from "./rootfs.ts";
import { remountBind } from "./rootfs.ts";

interface HostHierarchy {
  version: 1 | 2;
  mountPoint: string;
  /** Mount data for a v1 hierarchy: its controllers and "name=" option. */
  data: string;
  /** The directory name inside /sys/fs/cgroup. */
  name: string;
}

function hostHierarchies(): HostHierarchy[] {
  const result: HostHierarchy[] = [];
  for (const m of readMountInfo()) {
    if (m.fsType === "cgroup2") {
      result.push({ version: 2, mountPoint: m.mountPoint, data: "", name: m.mountPoint.split("/").pop()! });
    } else if (m.fsType === "cgroup") {
      const known = m.superOptions.split(",").filter((o) => o !== "rw" && o !== "ro" && !o.startsWith("release_agent"));
      result.push({ version: 1, mountPoint: m.mountPoint, data: known.join(","), name: m.mountPoint.split("/").pop()! });
    }
  }
  return result;
}

export function mountCgroupfs(dest: string, type: string, opts: ParsedOptions, ctx: RootfsContext): void {
  const hierarchies = hostHierarchies();
  const v2Only = hierarchies.every((h) => h.version === 2);
  const flags = (opts.flags | MS_NOSUID | MS_NODEV | MS_NOEXEC) & ~MS_RDONLY;
  const readonly = (opts.flags & MS_RDONLY) !== 0;
  mkdirAll(dest);

  if (type === "cgroup2" || v2Only) {
    mountOne(dest, { version: 2, mountPoint: hierarchies.find((h) => h.version === 2)?.mountPoint ?? "/sys/fs/cgroup", data: "", name: "" }, flags, ctx);
    if (readonly) remountBind(dest, flags | MS_RDONLY);
    return;
  }

  mount("tmpfs", dest, "tmpfs", flags, "mode=755");
  for (const h of hierarchies) {
    const target = `${dest}/${h.name}`;
    mkdirAll(target);
    mountOne(target, h, flags, ctx);
    // Co-mounted controllers (cpu,cpuacct) get a link per controller name.
    if (h.version === 1 && h.name.includes(",")) {
      for (const controller of h.name.split(",")) {
        try {
          symlink(h.name, `${dest}/${controller}`);
        } catch (e) {
          if (!(e instanceof SyscallError && e.code === "EEXIST")) throw e;
        }
      }
    }
    if (readonly) remountBind(target, flags | MS_RDONLY);
  }
  if (readonly) mount(null, dest, null, 0x20 /* MS_REMOUNT */ | flags | MS_RDONLY, "mode=755");
}

function mountOne(target: string, h: HostHierarchy, flags: number, ctx: RootfsContext): void {
  if (ctx.cgroupNamespace) {
    try {
      if (h.version === 2) mount("cgroup2", target, "cgroup2", flags);
      else mount("cgroup", target, "cgroup", flags, h.data);
      return;
    } catch (e) {
      if (!(e instanceof SyscallError && (e.code === "EPERM" || e.code === "EBUSY"))) throw e;
    }
  }
  // Without a cgroup namespace, expose only the container's own cgroup.
  const own = `${h.mountPoint}${ctx.cgroupPath ?? ""}`;
  if (!existsSync(own)) return;
  mount(own, target, "bind", MS_BIND | MS_REC);
  remountBind(target, flags);
}
