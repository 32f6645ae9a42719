// cgroup v1 net_cls controller: linux.resources.network.classID.
import type { ControllerDriver } from "../controller.ts";
import type { CgroupWrite } from "../fs.ts";
import type { LinuxNetwork } from "../types.ts";
import { integerInRange, UINT32_MAX } from "../values.ts";

const FIELD = "linux.resources.network.classID";

export function planNetCls(network: LinuxNetwork): CgroupWrite[] {
  if (network.classID === undefined) return [];
  return [{ file: "net_cls.classid", value: integerInRange(network.classID, FIELD, 0n, UINT32_MAX).toString(), field: FIELD }];
}

export const netClsV1: ControllerDriver = {
  controller: "net_cls",
  field: FIELD,
  isSet: (resources) => resources.network?.classID !== undefined,
  plan: (resources) => planNetCls(resources.network ?? {}),
};
