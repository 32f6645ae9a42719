// The argument checks of a system call's conditional rules. Arguments are
// 64 bits in seccomp_data and BPF compares 32-bit words, so on a 64-bit
// architecture each comparison tests the high word, then the low word (x86 is
// little-endian: the low word comes first in memory). x86 and x32 rules
// compare the low word only, as libseccomp does for 32-bit architectures.
import { BPF_JEQ, BPF_JGE, BPF_JGT, type Assembler, type Label, type ReturnPool } from "./bpf.ts";
import type { Condition, SyscallRules } from "./rules.ts";

/** Offset of args[0] in struct seccomp_data. */
const OFFSET_ARGS = 16;

/** Emits the conditional rules of one number: each rule's conditions in turn, then the next rule, then the default action. */
export function emitRules(asm: Assembler, returns: ReturnPool, defaultAction: number, syscall: SyscallRules): void {
  syscall.rules.forEach((rule, i) => {
    const isLastRule = i === syscall.rules.length - 1;
    const unmatched = isLastRule ? returns.to(defaultAction) : asm.label();
    rule.conditions.forEach((condition, j) => {
      const isLastCondition = j === rule.conditions.length - 1;
      const matched = isLastCondition ? returns.to(rule.action) : asm.label();
      emitCondition(asm, condition, syscall.width, matched, unmatched);
      if (!isLastCondition) asm.bind(matched);
    });
    if (!isLastRule) asm.bind(unmatched);
  });
}

function emitCondition(asm: Assembler, condition: Condition, width: 32 | 64, matched: Label, unmatched: Label): void {
  const low = OFFSET_ARGS + 8 * condition.index;
  const high = low + 4;
  const valueLow = Number(condition.value & 0xffff_ffffn);
  const valueHigh = Number(condition.value >> 32n);

  if (condition.op === "SCMP_CMP_MASKED_EQ") {
    const datumLow = Number(condition.valueTwo & 0xffff_ffffn);
    const datumHigh = Number(condition.valueTwo >> 32n);
    const words = [
      { offset: high, mask: valueHigh, datum: datumHigh },
      { offset: low, mask: valueLow, datum: datumLow },
    ].filter((w) => w.mask !== 0 && (width === 64 || w.offset === low));
    words.forEach((word, i) => {
      const next = i === words.length - 1 ? matched : asm.label();
      asm.load(word.offset);
      if (word.mask !== 0xffff_ffff) asm.and(word.mask);
      asm.jump(BPF_JEQ, (word.datum & word.mask) >>> 0, next, unmatched);
      if (next !== matched) asm.bind(next);
    });
    return;
  }

  if (width === 64) {
    const lowWord = asm.label();
    asm.load(high);
    switch (condition.op) {
      case "SCMP_CMP_EQ":
        asm.jump(BPF_JEQ, valueHigh, lowWord, unmatched);
        break;
      case "SCMP_CMP_NE":
        asm.jump(BPF_JEQ, valueHigh, lowWord, matched);
        break;
      case "SCMP_CMP_GT":
      case "SCMP_CMP_GE": {
        const equalHigh = asm.label();
        asm.jump(BPF_JGT, valueHigh, matched, equalHigh);
        asm.bind(equalHigh);
        asm.jump(BPF_JEQ, valueHigh, lowWord, unmatched);
        break;
      }
      case "SCMP_CMP_LT":
      case "SCMP_CMP_LE": {
        const equalHigh = asm.label();
        asm.jump(BPF_JGT, valueHigh, unmatched, equalHigh);
        asm.bind(equalHigh);
        asm.jump(BPF_JEQ, valueHigh, lowWord, matched);
        break;
      }
    }
    asm.bind(lowWord);
  }

  asm.load(low);
  switch (condition.op) {
    case "SCMP_CMP_EQ":
      asm.jump(BPF_JEQ, valueLow, matched, unmatched);
      break;
    case "SCMP_CMP_NE":
      asm.jump(BPF_JEQ, valueLow, unmatched, matched);
      break;
    case "SCMP_CMP_GT":
      asm.jump(BPF_JGT, valueLow, matched, unmatched);
      break;
    case "SCMP_CMP_GE":
      asm.jump(BPF_JGE, valueLow, matched, unmatched);
      break;
    case "SCMP_CMP_LT":
      asm.jump(BPF_JGE, valueLow, unmatched, matched);
      break;
    case "SCMP_CMP_LE":
      asm.jump(BPF_JGT, valueLow, unmatched, matched);
      break;
  }
}
