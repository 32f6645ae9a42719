// Discovery of the mounted cgroup hierarchies and of the cgroup version that
// serves each controller, from /proc/self/mountinfo and /proc/self/cgroup.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CgroupError } from "./errors.ts";

/** "v1": only cgroup v1 controllers; "v2": only the unified hierarchy; "hybrid": v1 controllers plus a cgroup2 mount. */
export type CgroupLayout = "v1" | "v2" | "hybrid";

/** A mounted cgroup hierarchy, such as {1, "/sys/fs/cgroup/memory", ["memory"]}. */
export interface Hierarchy {
  version: 1 | 2;
  mountPoint: string;
  /** v1: the controllers bound to it, and "name=..." for a named hierarchy; v2: the root's cgroup.controllers. */
  controllers: string[];
}

/** A cgroup or cgroup2 line of /proc/self/mountinfo. */
export interface CgroupMount {
  /** The cgroup that the mount shows, relative to the hierarchy's root. */
  root: string;
  mountPoint: string;
  fstype: "cgroup" | "cgroup2";
  superOptions: string[];
}

// Mount options of cgroup v1 that are not controller names.
const V1_MOUNT_OPTIONS = new Set(["rw", "ro", "none", "noprefix", "xattr", "clone_children", "cpuset_v2_mode", "favordynmods"]);

/** Decodes the octal escapes (\040 for a space) that mountinfo uses in paths. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Picks the cgroup and cgroup2 mounts out of the text of /proc/self/mountinfo. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split("\n")) {
    const fields = line.split(" ");
    const separator = fields.indexOf("-");
    if (separator < 6) continue;
    const fstype = fields[separator + 1];
    if (fstype !== "cgroup" && fstype !== "cgroup2") continue;
    mounts.push({
      root: unescapeMountPath(fields[3]!),
      mountPoint: unescapeMountPath(fields[4]!),
      fstype,
      superOptions: (fields[separator + 3] ?? "").split(","),
    });
  }
  return mounts;
}

/** Returns the controllers (and "name=..." of a named hierarchy) in a cgroup v1 mount's options. */
export function v1Controllers(superOptions: readonly string[]): string[] {
  return superOptions.filter((option) => {
    if (option.startsWith("name=")) return true;
    return !V1_MOUNT_OPTIONS.has(option) && !option.includes("=");
  });
}

/**
 * Turns mounts into hierarchies, one per cgroup v1 controller set and one for
 * cgroup2. A hierarchy mounted twice is listed once, preferring a mount of its
 * root cgroup. `readControllers` returns a cgroup2 mount's cgroup.controllers.
 */
export function hierarchiesFromMounts(mounts: readonly CgroupMount[], readControllers: (mountPoint: string) => string[]): Hierarchy[] {
  const byKey = new Map<string, CgroupMount>();
  for (const mount of mounts) {
    const key = mount.fstype === "cgroup2" ? "cgroup2" : v1Controllers(mount.superOptions).sort().join(",");
    if (key === "") continue;
    const seen = byKey.get(key);
    if (seen === undefined || (seen.root !== "/" && mount.root === "/")) byKey.set(key, mount);
  }
  return [...byKey.values()].map((mount) =>
    mount.fstype === "cgroup2"
      ? { version: 2, mountPoint: mount.mountPoint, controllers: readControllers(mount.mountPoint) }
      : { version: 1, mountPoint: mount.mountPoint, controllers: v1Controllers(mount.superOptions) },
  );
}

/** Reads the controllers listed in a cgroup v2 directory's cgroup.controllers. */
export function readControllersFile(dir: string): string[] {
  try {
    return readFileSync(join(dir, "cgroup.controllers"), "utf8").split(/\s+/).filter((name) => name !== "");
  } catch {
    return [];
  }
}

/**
 * Returns the layout that /proc/self/cgroup and the mounts show. A v1 controller in
 * /proc/self/cgroup means the v1 hierarchies are in use, whether or not this
 * mount namespace shows them all. Named v1 hierarchies without controllers
 * (name=systemd) do not make a cgroup2 host hybrid.
 */
export function layoutFrom(procSelfCgroup: string, hierarchies: readonly Hierarchy[]): CgroupLayout {
  const v1InUse = procSelfCgroup.split("\n").some((line) => {
    const [id, controllers] = line.split(":");
    if (id === undefined || id === "0" || controllers === undefined) return false;
    return controllers.split(",").some((name) => name !== "" && !name.startsWith("name="));
  });
  const v1Mounted = hierarchies.some((h) => h.version === 1 && h.controllers.some((name) => !name.startsWith("name=")));
  const v2Mounted = hierarchies.some((h) => h.version === 2);
  if (v1InUse || v1Mounted) return v2Mounted ? "hybrid" : "v1";
  if (v2Mounted) return "v2";
  throw new CgroupError("no cgroup filesystem is mounted: /proc/self/mountinfo lists no cgroup or cgroup2 mount");
}

function readProc(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new CgroupError(`cannot read ${path} to find the cgroup hierarchies`, { cause: error });
  }
}

/** Lists the cgroup hierarchies mounted in this mount namespace. */
export function listHierarchies(): Hierarchy[] {
  return hierarchiesFromMounts(parseCgroupMounts(readProc("/proc/self/mountinfo")), readControllersFile);
}

/** Finds whether this host runs cgroup v1, v2, or both (hybrid). */
export function detectLayout(): CgroupLayout {
  return layoutFrom(readProc("/proc/self/cgroup"), listHierarchies());
}

/**
 * Lists the hierarchies at or below `root`: the cgroup mounts there, or, when
 * nothing is mounted there, a directory tree that imitates one. In the
 * imitation a directory with cgroup.controllers is a cgroup2 hierarchy, and a
 * subdirectory with cgroup.procs is a cgroup v1 hierarchy named after its
 * controllers ("cpu,cpuacct").
 */
export function hierarchiesUnder(root: string): Hierarchy[] {
  const mounted = listHierarchies().filter((h) => h.mountPoint === root || h.mountPoint.startsWith(root + "/"));
  if (mounted.length > 0) return mounted;

  if (!existsSync(root)) throw new CgroupError(`the cgroup root ${root} does not exist`);
  if (existsSync(join(root, "cgroup.controllers"))) {
    return [{ version: 2, mountPoint: root, controllers: readControllersFile(root) }];
  }
  const found: Hierarchy[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(root, entry.name);
    if (existsSync(join(dir, "cgroup.controllers"))) {
      found.push({ version: 2, mountPoint: dir, controllers: readControllersFile(dir) });
    } else if (existsSync(join(dir, "cgroup.procs"))) {
      found.push({ version: 1, mountPoint: dir, controllers: entry.name.split(",") });
    }
  }
  if (found.length === 0) throw new CgroupError(`no cgroup hierarchy found at or below ${root}`);
  return found;
}

/** Returns the layout of a list of hierarchies, without looking at /proc/self/cgroup. */
export function layoutOf(hierarchies: readonly Hierarchy[]): CgroupLayout {
  return layoutFrom("", hierarchies);
}
