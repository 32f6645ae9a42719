// Controller delegation in cgroup v2: a controller is available in a cgroup
// only when its parent lists it in cgroup.subtree_control, all the way down
// from the hierarchy's root.
import { join } from "node:path";
import { errorCode } from "../errors.ts";
import type { CgroupDir } from "../fs.ts";
import { readControllersFile } from "../layout.ts";

function readList(dir: CgroupDir, file: string): string[] {
  return (dir.readOptional(file) ?? "").split(/\s+/).filter((name) => name !== "");
}

/**
 * Enables for the children of `dir` every controller that `dir` itself has,
 * all in one write. When that fails for a reason other than the
 * no-internal-process rule (EBUSY), it enables them one at a time and skips
 * those the kernel rejects, such as the cpu controller while a real-time
 * process runs outside the root cgroup. A resource that needs a skipped
 * controller names it in its error later.
 */
export function enableSubtreeControllers(dir: CgroupDir): void {
  const enabled = new Set(readList(dir, "cgroup.subtree_control"));
  const missing = readList(dir, "cgroup.controllers").filter((name) => !enabled.has(name));
  if (missing.length === 0) return;
  try {
    dir.write({ file: "cgroup.subtree_control", value: missing.map((name) => `+${name}`).join(" "), field: "" });
  } catch (error) {
    if (missing.length === 1 || errorCode((error as Error).cause) === "EBUSY") throw error;
    for (const name of missing) {
      try {
        dir.write({ file: "cgroup.subtree_control", value: `+${name}`, field: "" });
      } catch {
        // Reported later by the resource that needs this controller.
      }
    }
  }
}

/**
 * Explains why `controller` is missing from the cgroup at `path` (relative to
 * `mountPoint`): either the hierarchy does not offer it at all, or the named
 * ancestor does not pass it down.
 */
export function explainMissingController(mountPoint: string, path: string, controller: string): string {
  if (!readControllersFile(mountPoint).includes(controller)) {
    return `the ${controller} controller is not available in the cgroup v2 hierarchy at ${mountPoint} (it is not in its cgroup.controllers, so it is bound to cgroup v1 or missing from the kernel)`;
  }
  let parent = mountPoint;
  for (const segment of path.split("/").filter((part) => part !== "")) {
    const child = join(parent, segment);
    if (!readControllersFile(child).includes(controller)) {
      return `the ${controller} controller is not enabled for ${child}. Enable it in ${join(parent, "cgroup.subtree_control")} (+${controller}).`;
    }
    parent = child;
  }
  return `the ${controller} controller is not enabled for ${join(mountPoint, path)}`;
}
