// cgroup v1 devices controller: linux.resources.devices.
import type { ControllerDriver } from "../controller.ts";
import { DEVICES_FIELD, isWildcardRule, parseDeviceRules, type DeviceRule } from "../devices.ts";
import type { CgroupWrite } from "../fs.ts";
import type { LinuxDeviceCgroup } from "../types.ts";

/** Returns the devices.allow or devices.deny lines of one rule. */
export function v1RuleLines(rule: DeviceRule): string[] {
  // The kernel reads any line that starts with "a" as "every device, every
  // access" and resets the list, so a narrower "a" rule becomes a "c" and a
  // "b" line.
  if (isWildcardRule(rule)) return ["a"];
  const numbers = `${rule.major ?? "*"}:${rule.minor ?? "*"}`;
  const types = rule.type === "a" ? ["c", "b"] : [rule.type];
  return types.map((type) => `${type} ${numbers} ${rule.access}`);
}

/**
 * Plans the writes of the device list: first "a" to devices.deny, which
 * empties the list and denies everything (unless the first rule does that),
 * then each rule in order to devices.allow or devices.deny.
 *
 * NOTE: the kernel keeps allow exceptions and removes one on a deny only when
 * the deny names the same type and numbers, so a wildcard deny after a
 * narrower allow leaves the narrower allow in place. The cgroup v2 program
 * lets the later rule win in that case too.
 */
export function planDevicesV1(rules: readonly LinuxDeviceCgroup[]): CgroupWrite[] {
  const parsed = parseDeviceRules(rules);
  // A leading wildcard rule resets the list by itself.
  const resets = parsed[0] !== undefined && isWildcardRule(parsed[0]);
  const writes: CgroupWrite[] = resets ? [] : [{ file: "devices.deny", value: "a", field: DEVICES_FIELD }];
  parsed.forEach((rule, index) => {
    const file = rule.allow ? "devices.allow" : "devices.deny";
    for (const line of v1RuleLines(rule)) writes.push({ file, value: line, field: `${DEVICES_FIELD}[${index}]` });
  });
  return writes;
}

export const devicesV1: ControllerDriver = {
  controller: "devices",
  field: DEVICES_FIELD,
  isSet: (resources) => resources.devices !== undefined,
  plan: (resources) => planDevicesV1(resources.devices ?? []),
};
