// Generates the classic BPF program of a filter from the rules of each
// architecture. The program loads seccomp_data.arch and jumps to the section
// of that architecture, or returns the bad-architecture action. Each section
// then does these steps:
//   1. load the number, and on x86_64 without x32 treat x32 numbers as a
//      foreign architecture;
//   2. return ENOSYS above the highest number the profile names;
//   3. find the number's range with a binary search of jge.
//
// The numbers are cut into ranges of one verdict: a run of consecutive
// numbers with the same action (unlisted numbers have the default action), or
// a single number with argument checks. Moby's default profile names about
// 300 numbers per architecture, and its program for x86_64, x86 and x32 is
// about 400 instructions.
import { emitRules } from "./arguments.ts";
import { AUDIT_ARCH_X86_64, X32_SYSCALL_BIT } from "./arch.ts";
import { Assembler, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET, ReturnPool, type Instruction, type Label } from "./bpf.ts";
import type { ArchRules, SyscallRules } from "./rules.ts";

// Offsets in struct seccomp_data.
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;

/**
 * Ranges searched with one pool of return instructions. Jumps inside a group
 * stay short (8-bit offsets) unless argument checks make it long.
 */
const GROUP_SIZE = 16;

export interface FilterPlan {
  /** SECCOMP_RET_* values. */
  defaultAction: number;
  badArchAction: number;
  /** Returned for numbers above an architecture's maxNr; undefined leaves them to the default action. */
  enosysAction: number | undefined;
  arches: ArchRules[];
}

export function generateProgram(plan: FilterPlan): Instruction[] {
  const asm = new Assembler();
  const sections = groupSections(plan.arches);

  asm.load(OFFSET_ARCH);
  const starts = sections.map(() => asm.label());
  sections.forEach((section, i) => {
    const next = asm.label();
    asm.jump(BPF_JEQ, section[0]!.arch.audit, starts[i]!, next);
    asm.bind(next);
  });
  asm.ret(plan.badArchAction);

  sections.forEach((section, i) => {
    asm.bind(starts[i]!);
    emitSection(asm, plan, section);
  });
  return asm.assemble();
}

/** Architectures that share a seccomp_data.arch value share a section: x86_64 and x32. */
function groupSections(arches: readonly ArchRules[]): ArchRules[][] {
  const byAudit = new Map<number, ArchRules[]>();
  for (const rules of arches) {
    const list = byAudit.get(rules.arch.audit) ?? [];
    list.push(rules);
    byAudit.set(rules.arch.audit, list);
  }
  return [...byAudit.values()];
}

function emitSection(asm: Assembler, plan: FilterPlan, section: readonly ArchRules[]): void {
  const returns = new ReturnPool(asm);
  const search = asm.label();
  const x86_64 = section.find((a) => a.arch.name === "SCMP_ARCH_X86_64");
  const x32 = section.find((a) => a.arch.name === "SCMP_ARCH_X32");

  asm.load(OFFSET_NR);
  if (section[0]!.arch.audit === AUDIT_ARCH_X86_64 && !x32) {
    // As libseccomp does: an x32 call is a foreign architecture, except
    // number -1, which a tracer sets to skip the call and which the kernel
    // filters again (Linux 4.8 and later).
    const native = asm.label();
    const x32Bit = asm.label();
    asm.jump(BPF_JGE, X32_SYSCALL_BIT, x32Bit, native);
    asm.bind(x32Bit);
    asm.jump(BPF_JEQ, 0xffff_ffff, search, returns.to(plan.badArchAction));
    asm.bind(native);
  }

  if (plan.enosysAction !== undefined) {
    const enosys = returns.to(plan.enosysAction);
    // Each check is followed by the search, or by another check that it must jump over.
    const limit = (rules: ArchRules | undefined, followedBySearch: boolean): void => {
      if (rules?.maxNr !== undefined) asm.jump(BPF_JGT, rules.maxNr, enosys, search);
      else if (!followedBySearch) asm.goto(search);
    };
    if (x86_64 && x32) {
      const x32Limit = asm.label();
      const x86_64Limit = asm.label();
      asm.jump(BPF_JSET, X32_SYSCALL_BIT, x32Limit, x86_64Limit);
      asm.bind(x86_64Limit);
      limit(x86_64, false);
      asm.bind(x32Limit);
      limit(x32, true);
    } else {
      limit(section[0], true);
    }
  }

  asm.bind(search);
  const syscalls = section.flatMap((a) => a.syscalls).sort((a, b) => a.nr - b.nr);
  emitSearch(asm, plan.defaultAction, rangesOf(syscalls, plan.defaultAction));
  returns.emit();
}

/** The verdict of a range of numbers: a value to return, or the argument checks of one number. */
type Verdict = { value: number } | { syscall: SyscallRules };

/** The numbers from `from` up to the next range's `from`. */
interface Range {
  from: number;
  verdict: Verdict;
}

function sameVerdict(a: Verdict, b: Verdict): boolean {
  return "value" in a && "value" in b && a.value === b.value;
}

/** Cuts [0, 2^32) into ranges of one verdict, merging neighbours that return the same value. */
function rangesOf(syscalls: readonly SyscallRules[], defaultAction: number): Range[] {
  const ranges: Range[] = [{ from: 0, verdict: { value: defaultAction } }];
  const put = (from: number, verdict: Verdict): void => {
    // A range that starts where the new one does is replaced by it.
    if (ranges[ranges.length - 1]!.from === from) ranges.pop();
    const last = ranges[ranges.length - 1];
    if (!last || !sameVerdict(last.verdict, verdict)) ranges.push({ from, verdict });
  };
  for (const syscall of syscalls) {
    put(syscall.nr, syscall.action === undefined ? { syscall } : { value: syscall.action });
    if (syscall.nr < 0xffff_ffff) put(syscall.nr + 1, { value: defaultAction });
  }
  return ranges;
}

/** Emits a binary search on the number in A. Groups of ranges at the bottom share their return instructions. */
function emitSearch(asm: Assembler, defaultAction: number, ranges: readonly Range[]): void {
  if (ranges.length <= GROUP_SIZE) {
    emitGroup(asm, defaultAction, ranges);
    return;
  }
  const half = Math.floor(ranges.length / 2);
  const upper = asm.label();
  const lower = asm.label();
  asm.jump(BPF_JGE, ranges[half]!.from, upper, lower);
  asm.bind(lower);
  emitSearch(asm, defaultAction, ranges.slice(0, half));
  asm.bind(upper);
  emitSearch(asm, defaultAction, ranges.slice(half));
}

function emitGroup(asm: Assembler, defaultAction: number, ranges: readonly Range[]): void {
  const returns = new ReturnPool(asm);
  const checks: { label: Label; syscall: SyscallRules }[] = [];
  const target = (verdict: Verdict): Label => {
    if ("value" in verdict) return returns.to(verdict.value);
    const label = asm.label();
    checks.push({ label, syscall: verdict.syscall });
    return label;
  };

  // Splits ranges until each side is one range, whose verdict the jump targets directly.
  const split = (part: readonly Range[]): void => {
    // One number between two ranges of the same verdict: a single jeq.
    if (part.length === 3 && sameVerdict(part[0]!.verdict, part[2]!.verdict) && part[2]!.from === part[1]!.from + 1) {
      asm.jump(BPF_JEQ, part[1]!.from, target(part[1]!.verdict), target(part[0]!.verdict));
      return;
    }
    const half = Math.floor(part.length / 2);
    const lowerPart = part.slice(0, half);
    const upperPart = part.slice(half);
    const upper = upperPart.length === 1 ? target(upperPart[0]!.verdict) : asm.label();
    const lower = lowerPart.length === 1 ? target(lowerPart[0]!.verdict) : asm.label();
    asm.jump(BPF_JGE, part[half]!.from, upper, lower);
    if (lowerPart.length > 1) {
      asm.bind(lower);
      split(lowerPart);
    }
    if (upperPart.length > 1) {
      asm.bind(upper);
      split(upperPart);
    }
  };

  if (ranges.length === 1) {
    const verdict = ranges[0]!.verdict;
    if ("value" in verdict) asm.ret(verdict.value);
    else emitRules(asm, returns, defaultAction, verdict.syscall);
  } else {
    split(ranges);
    for (const { label, syscall } of checks) {
      asm.bind(label);
      emitRules(asm, returns, defaultAction, syscall);
    }
  }
  returns.emit();
}
