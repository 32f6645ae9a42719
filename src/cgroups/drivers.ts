// The one place that pairs each part of linux.resources with its cgroup v1
// and cgroup v2 driver, and picks the driver for the hierarchies at hand.
import type { ControllerDriver } from "./controller.ts";
import { CgroupUnsupportedError } from "./errors.ts";
import type { CgroupDir } from "./fs.ts";
import { blkioV1 } from "./v1/blkio.ts";
import { cpuV1 } from "./v1/cpu.ts";
import { cpusetV1 } from "./v1/cpuset.ts";
import { devicesV1 } from "./v1/devices.ts";
import { hugetlbV1 } from "./v1/hugetlb.ts";
import { memoryV1 } from "./v1/memory.ts";
import { netClsV1 } from "./v1/net_cls.ts";
import { netPrioV1 } from "./v1/net_prio.ts";
import { pidsV1 } from "./v1/pids.ts";
import { rdmaV1 } from "./v1/rdma.ts";
import { cpuV2 } from "./v2/cpu.ts";
import { cpusetV2 } from "./v2/cpuset.ts";
import { devicesV2 } from "./v2/devices.ts";
import { hugetlbV2 } from "./v2/hugetlb.ts";
import { ioV2 } from "./v2/io.ts";
import { memoryV2 } from "./v2/memory.ts";
import { pidsV2 } from "./v2/pids.ts";
import { rdmaV2 } from "./v2/rdma.ts";
import { unifiedV2 } from "./v2/unified.ts";

/** One part of linux.resources and the driver of each cgroup version that applies it. */
export interface ResourceGroup {
  v1?: ControllerDriver;
  v2?: ControllerDriver;
}

/**
 * The parts of linux.resources in the order they are applied. `unified` comes
 * last so that its entries override the values converted from v1 fields.
 */
export const RESOURCE_GROUPS: readonly ResourceGroup[] = [
  { v1: cpusetV1, v2: cpusetV2 },
  { v1: devicesV1, v2: devicesV2 },
  { v1: memoryV1, v2: memoryV2 },
  { v1: cpuV1, v2: cpuV2 },
  { v1: pidsV1, v2: pidsV2 },
  { v1: blkioV1, v2: ioV2 },
  { v1: hugetlbV1, v2: hugetlbV2 },
  { v1: netClsV1 },
  { v1: netPrioV1 },
  { v1: rdmaV1, v2: rdmaV2 },
  { v2: unifiedV2 },
];

/** The cgroup's directories and controllers that the driver choice looks at. */
export interface DriverTargets {
  /** Whether the cgroup lives in any cgroup v1 hierarchy with controllers. */
  hasV1: boolean;
  /** The directory of the v1 hierarchy that has `controller`, if one is mounted. */
  v1Dir(controller: string): CgroupDir | undefined;
  /** The cgroup's directory in the cgroup2 hierarchy, if it has one. */
  v2Dir(): CgroupDir | undefined;
  /** Whether the cgroup2 directory has `controller` in its cgroup.controllers. */
  v2Has(controller: string): boolean;
  /** A sentence on why the cgroup2 directory lacks `controller` and where to enable it. */
  explainMissingV2(controller: string): string;
}

/**
 * Picks the driver and directory for one resource group. A v1 hierarchy that
 * has the controller wins, because in hybrid mode the v1 controllers are the
 * primary ones. Otherwise the cgroup2 hierarchy serves the group if the
 * controller is enabled there. The error names the field, the controller and
 * what to do.
 */
export function pickDriver(group: ResourceGroup, targets: DriverTargets): { driver: ControllerDriver; dir: CgroupDir } {
  const { v1, v2 } = group;
  if (v1 !== undefined && v1.controller !== null) {
    const dir = targets.v1Dir(v1.controller);
    if (dir !== undefined) return { driver: v1, dir };
  }
  const v2Dir = targets.v2Dir();
  if (v2 !== undefined && v2Dir !== undefined && (v2.controller === null || targets.v2Has(v2.controller))) {
    return { driver: v2, dir: v2Dir };
  }

  const field = (v1 ?? v2)!.field;
  if (v1 === undefined) {
    throw new CgroupUnsupportedError(`${field}: needs cgroup v2, but this host has no cgroup2 hierarchy. Mount one, or remove the field.`);
  }
  const name = v1.controller!;
  const mountIt = `Mount a cgroup v1 hierarchy with it (mount -t cgroup -o ${name} ${name} /sys/fs/cgroup/${name}), or remove the field.`;
  if (v2Dir === undefined) {
    throw new CgroupUnsupportedError(`${field}: the ${name} cgroup controller is not mounted on this host. ${mountIt}`);
  }
  if (v2 === undefined) {
    throw new CgroupUnsupportedError(`${field}: the ${name} cgroup controller is not mounted on this host, and cgroup v2 has no ${name} controller. ${mountIt}`);
  }
  const missing = targets.explainMissingV2(v2.controller!);
  if (targets.hasV1) throw new CgroupUnsupportedError(`${field}: the ${name} cgroup controller is not mounted as a cgroup v1 hierarchy, and ${missing}`);
  throw new CgroupUnsupportedError(`${field}: ${missing}`);
}
