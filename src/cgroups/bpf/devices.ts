// Compiles the OCI device rules into a BPF_PROG_TYPE_CGROUP_DEVICE program,
// which cgroup v2 uses in place of the v1 devices controller.
import { isWildcardRule, type DeviceRule } from "../devices.ts";
import { andImm, BPF_JEQ, BPF_JNE, exit, jmp32Imm, jmpImm, ldxW, movImm, movReg, R0, R1, R2, R4, R5, R6, rshImm, type BpfInsn } from "./asm.ts";

// struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, where
// access_type is (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*.
const CTX_ACCESS_TYPE = 0;
const CTX_MAJOR = 4;
const CTX_MINOR = 8;
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;
export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;

/** Returns the BPF_DEVCG_ACC_* bits of an access string such as "rw". */
export function accessBits(access: string): number {
  let bits = 0;
  if (access.includes("m")) bits |= BPF_DEVCG_ACC_MKNOD;
  if (access.includes("r")) bits |= BPF_DEVCG_ACC_READ;
  if (access.includes("w")) bits |= BPF_DEVCG_ACC_WRITE;
  return bits;
}

const ALL_ACCESS = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

/**
 * Emits the instructions of one rule. The device checks skip to the next rule
 * on a mismatch. Register r6 contains the requested access bits that no later rule
 * has decided yet: an allow rule clears its bits and returns 1 once none are
 * left, and a deny rule returns 0 when it covers one of them.
 */
function ruleBlock(rule: DeviceRule): BpfInsn[] {
  const bits = accessBits(rule.access);
  const body = rule.allow
    ? [andImm(R6, ALL_ACCESS & ~bits), jmpImm(BPF_JNE, R6, 0, 2), movImm(R0, 1), exit()]
    : [movReg(R0, R6), andImm(R0, bits), jmpImm(BPF_JEQ, R0, 0, 2), movImm(R0, 0), exit()];

  const checks: [number, number][] = [];
  if (rule.type !== "a") checks.push([R2, rule.type === "b" ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR]);
  if (rule.major !== null) checks.push([R4, rule.major]);
  if (rule.minor !== null) checks.push([R5, rule.minor]);
  const jumps = checks.map(([register, value], index) => jmp32Imm(BPF_JNE, register, value, checks.length - 1 - index + body.length));
  return [...jumps, ...body];
}

/**
 * Compiles device rules into a program that returns 1 to allow an access and
 * 0 to deny it. Rules apply in order and a later rule wins: for every access
 * bit requested (read, write, mknod), the last rule that matches the device
 * and covers that bit decides, and a bit that no rule covers is denied. The
 * rules are emitted last to first, so the first match in the program is the
 * last in the list.
 */
export function compileDeviceProgram(rules: readonly DeviceRule[]): BpfInsn[] {
  const program: BpfInsn[] = [
    ldxW(R2, R1, CTX_ACCESS_TYPE),
    andImm(R2, 0xffff),
    ldxW(R6, R1, CTX_ACCESS_TYPE),
    rshImm(R6, 16),
    ldxW(R4, R1, CTX_MAJOR),
    ldxW(R5, R1, CTX_MINOR),
  ];
  for (let index = rules.length - 1; index >= 0; index--) {
    const rule = rules[index]!;
    // A rule for every device and every access decides whatever is still
    // open, so the earlier rules and the final deny are unreachable, and
    // the verifier rejects unreachable instructions.
    if (isWildcardRule(rule)) {
      program.push(movImm(R0, rule.allow ? 1 : 0), exit());
      return program;
    }
    program.push(...ruleBlock(rule));
  }
  program.push(movImm(R0, 0), exit());
  return program;
}
