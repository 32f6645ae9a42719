// cgroup v1 rdma controller: linux.resources.rdma.
import type { ControllerDriver } from "../controller.ts";
import { CgroupError } from "../errors.ts";
import type { CgroupWrite } from "../fs.ts";
import type { LinuxRdma } from "../types.ts";
import { integerInRange, UINT32_MAX } from "../values.ts";

const FIELD = "linux.resources.rdma";

/** Plans one rdma.max line per device; the file is the same in cgroup v1 and v2. */
export function planRdma(rdma: Readonly<Record<string, LinuxRdma>>): CgroupWrite[] {
  return Object.entries(rdma).map(([device, limits]) => {
    const field = `${FIELD}[${JSON.stringify(device)}]`;
    if (device === "" || /\s/.test(device)) throw new CgroupError(`${field}: the device name must be non-empty and contain no spaces`);
    const parts = [device];
    if (limits.hcaHandles !== undefined) parts.push(`hca_handle=${integerInRange(limits.hcaHandles, `${field}.hcaHandles`, 0n, UINT32_MAX)}`);
    if (limits.hcaObjects !== undefined) parts.push(`hca_object=${integerInRange(limits.hcaObjects, `${field}.hcaObjects`, 0n, UINT32_MAX)}`);
    if (parts.length === 1) throw new CgroupError(`${field}: set hcaHandles, hcaObjects or both`);
    return { file: "rdma.max", value: parts.join(" "), field };
  });
}

export const rdmaV1: ControllerDriver = {
  controller: "rdma",
  field: FIELD,
  isSet: (resources) => resources.rdma !== undefined && Object.keys(resources.rdma).length > 0,
  plan: (resources) => planRdma(resources.rdma ?? {}),
};
