// Running a compiled filter on one system call, as the kernel would, to find
// what it does with it: the launcher uses it to reject a filter under which
// the container's process could never start.
import type { Instruction } from "./bpf.ts";

export const AUDIT_ARCH_X86_64 = 0xc000003e;

/** The parts of struct seccomp_data a filter reads. */
export interface SeccompData {
  nr: number;
  arch?: number;
  args?: readonly bigint[];
}

/**
 * Returns the SECCOMP_RET_* value the program gives for data. Only the
 * instructions the compiler emits are known; any other is an error.
 */
export function runFilter(program: readonly Instruction[], data: SeccompData): number {
  const memory = new DataView(new ArrayBuffer(64));
  memory.setUint32(0, data.nr >>> 0, true);
  memory.setUint32(4, data.arch ?? AUDIT_ARCH_X86_64, true);
  (data.args ?? []).forEach((arg, i) => memory.setBigUint64(16 + 8 * i, BigInt.asUintN(64, arg), true));
  let a = 0;
  let pc = 0;
  for (;;) {
    const insn = program[pc];
    if (!insn) throw new Error(`seccomp program: ran past its end at ${pc}`);
    const branch = (condition: boolean) => (pc += 1 + (condition ? insn.jt : insn.jf));
    switch (insn.code) {
      case 0x20: // BPF_LD | BPF_W | BPF_ABS
        a = memory.getUint32(insn.k, true);
        pc++;
        break;
      case 0x54: // BPF_ALU | BPF_AND | BPF_K
        a = (a & insn.k) >>> 0;
        pc++;
        break;
      case 0x06: // BPF_RET | BPF_K
        return insn.k >>> 0;
      case 0x05: // BPF_JMP | BPF_JA
        pc += 1 + insn.k;
        break;
      case 0x15: // BPF_JMP | BPF_JEQ | BPF_K
        branch(a === insn.k);
        break;
      case 0x25: // BPF_JMP | BPF_JGT | BPF_K
        branch(a > insn.k);
        break;
      case 0x35: // BPF_JMP | BPF_JGE | BPF_K
        branch(a >= insn.k);
        break;
      case 0x45: // BPF_JMP | BPF_JSET | BPF_K
        branch((a & insn.k) !== 0);
        break;
      default:
        throw new Error(`seccomp program: unknown opcode 0x${insn.code.toString(16)} at ${pc}`);
    }
  }
}
