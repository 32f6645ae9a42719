// cgroup v1 cpuset controller: linux.resources.cpu.cpus and .mems.
import type { ControllerDriver } from "../controller.ts";
import { CgroupError } from "../errors.ts";
import type { CgroupDir, CgroupWrite } from "../fs.ts";
import type { LinuxCPU } from "../types.ts";

const FIELD = "linux.resources.cpu";

/** Checks the list syntax "0-3,7" so that a typo gets a message naming the field. */
export function checkCpuList(list: string, field: string): string {
  if (!/^\s*(\d+(-\d+)?)(,\d+(-\d+)?)*\s*$/.test(list)) {
    throw new CgroupError(`${field}: ${JSON.stringify(list)} is not a list such as "0-3,7"`);
  }
  return list.trim();
}

/** Plans the cpuset writes; the file names are the same in cgroup v1 and v2. */
export function planCpuset(cpu: LinuxCPU): CgroupWrite[] {
  const writes: CgroupWrite[] = [];
  if (cpu.cpus !== undefined && cpu.cpus !== "") {
    writes.push({ file: "cpuset.cpus", value: checkCpuList(cpu.cpus, `${FIELD}.cpus`), field: `${FIELD}.cpus` });
  }
  if (cpu.mems !== undefined && cpu.mems !== "") {
    writes.push({ file: "cpuset.mems", value: checkCpuList(cpu.mems, `${FIELD}.mems`), field: `${FIELD}.mems` });
  }
  return writes;
}

/**
 * Copies cpuset.cpus and cpuset.mems from the parent when they are empty. A
 * new cgroup v1 cpuset starts empty, and the kernel refuses to let a task
 * join it (ENOSPC) until both are set.
 */
export function fillCpusetFromParent(dir: CgroupDir, parent: CgroupDir): void {
  for (const file of ["cpuset.cpus", "cpuset.mems"]) {
    if (dir.read(file).trim() !== "") continue;
    dir.write({ file, value: parent.read(file).trim(), field: "" });
  }
}

export const cpusetV1: ControllerDriver = {
  controller: "cpuset",
  field: FIELD,
  isSet: (resources) => (resources.cpu?.cpus ?? "") !== "" || (resources.cpu?.mems ?? "") !== "",
  plan: (resources) => planCpuset(resources.cpu ?? {}),
};
