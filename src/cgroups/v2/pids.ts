// cgroup v2 pids controller: pids.max, with the same name and syntax as in cgroup v1.
import type { ControllerDriver } from "../controller.ts";
import { pidsV1 } from "../v1/pids.ts";

export { readPidsStats as readPidsStatsV2 } from "../v1/pids.ts";

export const pidsV2: ControllerDriver = { ...pidsV1 };
