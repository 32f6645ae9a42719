// Device control on cgroup v2: the OCI device rules compiled into a BPF
// program attached to the cgroup directory, since cgroup v2 has no devices
// controller.
import type { ControllerDriver } from "../controller.ts";
import { compileDeviceProgram } from "../bpf/devices.ts";
import { attachDeviceProgram } from "../bpf/program.ts";
import { DEVICES_FIELD, parseDeviceRules } from "../devices.ts";

export const devicesV2: ControllerDriver = {
  controller: null,
  field: DEVICES_FIELD,
  isSet: (resources) => resources.devices !== undefined,
  plan: (resources) => {
    const insns = compileDeviceProgram(parseDeviceRules(resources.devices ?? []));
    return [{ field: DEVICES_FIELD, run: (dir) => attachDeviceProgram(dir.path, insns) }];
  },
};
