// cgroup v2 rdma controller: rdma.max, with the same name and syntax as in cgroup v1.
import type { ControllerDriver } from "../controller.ts";
import { rdmaV1 } from "../v1/rdma.ts";

export const rdmaV2: ControllerDriver = { ...rdmaV1 };
