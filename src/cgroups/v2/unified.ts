// linux.resources.unified: cgroup v2 interface files written as given.
import type { ControllerDriver } from "../controller.ts";
import { CgroupError } from "../errors.ts";
import type { CgroupDir, CgroupWrite } from "../fs.ts";

const FIELD = "linux.resources.unified";

/**
 * Plans one write per entry. A key must name a file in the cgroup's own
 * directory. When the file is missing, the error explains whether its
 * controller is not enabled for the cgroup or the kernel lacks the file.
 */
export function planUnified(entries: Readonly<Record<string, string>>, fileNames: readonly string[], controllers: readonly string[]): CgroupWrite[] {
  const available = new Set(fileNames);
  return Object.entries(entries).map(([key, value]) => {
    const field = `${FIELD}[${JSON.stringify(key)}]`;
    if (!/^[a-z0-9_]+\.[A-Za-z0-9_.]+$/.test(key)) {
      throw new CgroupError(`${field}: not a cgroup interface file name such as "memory.high"`);
    }
    if (typeof value !== "string") throw new CgroupError(`${field}: the value must be a string`);
    if (!available.has(key)) {
      const controller = key.slice(0, key.indexOf("."));
      if (controller !== "cgroup" && !controllers.includes(controller)) {
        throw new CgroupError(`${field}: the ${controller} controller is not enabled for this cgroup. Enable it in the parent's cgroup.subtree_control.`);
      }
      throw new CgroupError(`${field}: the kernel has no file ${key} in this cgroup`);
    }
    return { file: key, value, field };
  });
}

export const unifiedV2: ControllerDriver = {
  controller: null,
  field: FIELD,
  isSet: (resources) => resources.unified !== undefined && Object.keys(resources.unified).length > 0,
  plan: (resources, dir: CgroupDir) => {
    const controllers = (dir.readOptional("cgroup.controllers") ?? "").split(/\s+/).filter((name) => name !== "");
    return planUnified(resources.unified ?? {}, dir.list(), controllers);
  },
};
