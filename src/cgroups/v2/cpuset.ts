// cgroup v2 cpuset controller: linux.resources.cpu.cpus and .mems. The files
// have the same names and syntax as in cgroup v1.
import type { ControllerDriver } from "../controller.ts";
import { cpusetV1 } from "../v1/cpuset.ts";

export const cpusetV2: ControllerDriver = { ...cpusetV1 };
