// cgroup v1 cpuacct controller: CPU usage statistics; it has no resource to set.
import type { CgroupDir } from "../fs.ts";
import { counter, counterList } from "../stats.ts";
import type { CgroupStats } from "../types.ts";

// USER_HZ, the unit of cpuacct.stat, is 100 on every Linux architecture that ns runs on.
const NANOSECONDS_PER_USER_HZ_TICK = 10_000_000;

/** Fills the CPU usage statistics, in nanoseconds. */
export function readCpuacctStatsV1(dir: CgroupDir, stats: CgroupStats): void {
  const usage = stats.cpu.usage;
  usage.total = counter(dir.readOptional("cpuacct.usage"));
  const percpu = counterList(dir.readOptional("cpuacct.usage_percpu"));
  const percpuKernel = counterList(dir.readOptional("cpuacct.usage_percpu_sys"));
  const percpuUser = counterList(dir.readOptional("cpuacct.usage_percpu_user"));
  if (percpu !== undefined) usage.percpu = percpu;
  if (percpuKernel !== undefined) usage.percpu_kernel = percpuKernel;
  if (percpuUser !== undefined) usage.percpu_user = percpuUser;

  // cpuacct.usage_user and cpuacct.usage_sys count nanoseconds; older
  // kernels have only cpuacct.stat, which counts USER_HZ ticks.
  const user = dir.readOptional("cpuacct.usage_user");
  const system = dir.readOptional("cpuacct.usage_sys");
  if (user !== undefined && system !== undefined) {
    usage.user = counter(user);
    usage.kernel = counter(system);
  } else {
    const ticks = dir.readKeyValues("cpuacct.stat");
    usage.user = (ticks.get("user") ?? 0) * NANOSECONDS_PER_USER_HZ_TICK;
    usage.kernel = (ticks.get("system") ?? 0) * NANOSECONDS_PER_USER_HZ_TICK;
  }
}
