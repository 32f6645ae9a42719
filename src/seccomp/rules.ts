// From linux.seccomp.syscalls to the rules of each system call number on each
// architecture, with the semantics runc gets from libseccomp:
// - a rule whose action equals the default action is dropped (runc skips it
//   rather than have libseccomp reject it);
// - the conditions of one rule are ANDed, except that when one argument index
//   appears twice, runc adds each condition as a rule of its own (ORed);
// - the first rule without conditions decides the system call, and every
//   conditional rule for it, earlier or later, is dropped;
// - names an architecture lacks are skipped there, and a name no covered
//   architecture has is ignored with a warning.
import { UserError } from "../errors.ts";
import { actionValue } from "./actions.ts";
import { resolveSyscall, type Arch } from "./arch.ts";

export type Operator =
  | "SCMP_CMP_NE"
  | "SCMP_CMP_LT"
  | "SCMP_CMP_LE"
  | "SCMP_CMP_EQ"
  | "SCMP_CMP_GE"
  | "SCMP_CMP_GT"
  | "SCMP_CMP_MASKED_EQ";

const OPERATORS: ReadonlySet<string> = new Set<Operator>([
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
]);

/** linux.seccomp as the compiler reads it. Integers may be numbers or bigints, as JSON parsing leaves them. */
export interface SeccompConfig {
  defaultAction: string;
  defaultErrnoRet?: number | undefined;
  architectures?: readonly string[] | undefined;
  flags?: readonly string[] | undefined;
  listenerPath?: string | undefined;
  syscalls?: readonly SeccompSyscallConfig[] | undefined;
}

export interface SeccompSyscallConfig {
  names: readonly string[];
  action: string;
  errnoRet?: number | undefined;
  args?: readonly { index: number; value: number | bigint; valueTwo?: number | bigint | undefined; op: string }[] | undefined;
}

/**
 * One argument comparison. For SCMP_CMP_MASKED_EQ, value is the mask and
 * valueTwo the datum: (arg & value) == (valueTwo & value).
 */
export interface Condition {
  index: number;
  op: Operator;
  value: bigint;
  valueTwo: bigint;
}

export interface Rule {
  /** The SECCOMP_RET_* value returned when every condition holds. */
  action: number;
  conditions: Condition[];
}

/** The rules of one system call number. */
export interface SyscallRules {
  nr: number;
  width: 32 | 64;
  /** The action of the first unconditional rule; the conditional rules are then unused. */
  action?: number | undefined;
  /** Conditional rules, tried in order; the first whose conditions hold decides. */
  rules: Rule[];
}

export interface ArchRules {
  arch: Arch;
  /** Sorted by number. */
  syscalls: SyscallRules[];
  /**
   * The highest number any name in the profile has on this architecture,
   * for the ENOSYS of newer system calls; undefined when no name is known.
   */
  maxNr: number | undefined;
}

const UINT64_MAX = 2n ** 64n - 1n;
const LOW_WORD = 0xffff_ffffn;
const SYSCALL_ARGS = 6;

function toCondition(arg: NonNullable<SeccompSyscallConfig["args"]>[number], field: string): Condition {
  if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index >= SYSCALL_ARGS) {
    throw new UserError(`${field}.index: expected 0 to ${SYSCALL_ARGS - 1}, got ${arg.index}`);
  }
  if (!OPERATORS.has(arg.op)) throw new UserError(`${field}.op: unknown seccomp operator ${JSON.stringify(arg.op)}`);
  return { index: arg.index, op: arg.op as Operator, value: toUint64(arg.value, `${field}.value`), valueTwo: toUint64(arg.valueTwo ?? 0, `${field}.valueTwo`) };
}

function toUint64(value: number | bigint, field: string): bigint {
  if (typeof value === "number" && !Number.isSafeInteger(value)) throw new UserError(`${field}: expected an integer, got ${value}`);
  const big = BigInt(value);
  if (big < 0n || big > UINT64_MAX) throw new UserError(`${field}: expected 0 to ${UINT64_MAX}, got ${big}`);
  return big;
}

/**
 * Fits conditions to an architecture's argument width. On a 32-bit
 * architecture only the low words count. A masked comparison whose mask is 0
 * always holds, so libseccomp emits nothing for it; a rule left with no
 * conditions then counts as unconditional.
 */
function fitConditions(conditions: readonly Condition[], width: 32 | 64): Condition[] {
  if (conditions.length === 0) return [];
  const fitted = width === 64 ? [...conditions] : conditions.map((c) => ({ ...c, value: c.value & LOW_WORD, valueTwo: c.valueTwo & LOW_WORD }));
  return fitted.filter((c) => c.op !== "SCMP_CMP_MASKED_EQ" || c.value !== 0n);
}

class ArchTable {
  private readonly byNumber = new Map<number, SyscallRules>();
  maxNr: number | undefined;

  constructor(readonly arch: Arch) {}

  add(nr: number, rule: Rule): void {
    let entry = this.byNumber.get(nr);
    if (!entry) {
      entry = { nr, width: this.arch.width, rules: [] };
      this.byNumber.set(nr, entry);
    }
    if (entry.action !== undefined) return;
    if (rule.conditions.length === 0) {
      entry.action = rule.action;
      entry.rules = [];
    } else {
      entry.rules.push(rule);
    }
  }

  result(): ArchRules {
    const syscalls = [...this.byNumber.values()].sort((a, b) => a.nr - b.nr);
    return { arch: this.arch, syscalls, maxNr: this.maxNr };
  }
}

/** Builds the rules of each architecture; defaultAction is the SECCOMP_RET_* value of linux.seccomp.defaultAction. */
export function buildRules(config: SeccompConfig, arches: readonly Arch[], defaultAction: number, warn: (message: string) => void): ArchRules[] {
  const tables = arches.map((arch) => new ArchTable(arch));
  const unknown = new Set<string>();

  const syscalls = config.syscalls ?? [];
  for (let i = 0; i < syscalls.length; i++) {
    const syscall = syscalls[i]!;
    const field = `linux.seccomp.syscalls[${i}]`;
    const action = actionValue(syscall.action, syscall.errnoRet, { action: `${field}.action`, errnoRet: `${field}.errnoRet` });
    const conditions = (syscall.args ?? []).map((arg, j) => toCondition(arg, `${field}.args[${j}]`));
    const indexes = conditions.map((c) => c.index);
    const ruleConditions = new Set(indexes).size < indexes.length ? conditions.map((c) => [c]) : [conditions];

    for (let j = 0; j < syscall.names.length; j++) {
      const name = syscall.names[j]!;
      if (name === "") throw new UserError(`${field}.names[${j}]: expected a system call name, got an empty string`);
      let known = false;
      for (const table of tables) {
        const resolved = resolveSyscall(table.arch, name);
        if (!resolved) continue;
        known = true;
        if (resolved.direct !== undefined) table.maxNr = Math.max(table.maxNr ?? 0, resolved.direct);
        if (action === defaultAction) continue;
        for (const list of ruleConditions) {
          const fitted = fitConditions(list, table.arch.width);
          if (resolved.direct !== undefined) table.add(resolved.direct, { action, conditions: fitted });
          // NOTE: libseccomp moves a rule with conditions onto the multiplexer
          // too, with its first condition replaced by the call selector, so
          // that the other conditions test socketcall's own arguments. ns adds
          // only unconditional rules there; socketcall(2) and ipc(2) calls
          // for a call with conditional rules get the multiplexer's own rules.
          if (resolved.multiplexed && fitted.length === 0) {
            const selector: Condition = { index: 0, op: "SCMP_CMP_EQ", value: BigInt(resolved.multiplexed.call), valueTwo: 0n };
            table.add(resolved.multiplexed.nr, { action, conditions: [selector] });
          }
        }
      }
      if (!known) unknown.add(name);
    }
  }

  if (unknown.size > 0) {
    const archNames = arches.map((a) => a.name).join(", ");
    warn(`linux.seccomp.syscalls: ignored system calls unknown on ${archNames}: ${[...unknown].join(", ")}`);
  }
  return tables.map((t) => t.result());
}
