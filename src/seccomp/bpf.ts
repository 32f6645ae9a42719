// Classic BPF (struct sock_filter) as seccomp runs it, and an assembler with
// labels. Conditional jumps have 8-bit offsets, so a target more than 255
// instructions ahead is reached through a BPF_JA (32-bit offset) placed right
// after the jump. The assembler finds those jumps by relaxation.

// Instruction classes and fields (linux/bpf_common.h).
export const BPF_LD = 0x00;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_W = 0x00;
export const BPF_ABS = 0x20;
export const BPF_AND = 0x50;
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_K = 0x00;

/** The kernel's limit on the length of a classic BPF program (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

/** One struct sock_filter. */
export interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** A place in the program that jumps refer to before addresses are known. */
export type Label = number & { readonly __label: unique symbol };

type Item =
  | { kind: "plain"; code: number; k: number }
  | { kind: "jump"; code: number; k: number; jt: Label; jf: Label }
  | { kind: "ja"; target: Label };

export type JumpCondition = typeof BPF_JEQ | typeof BPF_JGT | typeof BPF_JGE | typeof BPF_JSET;

/** Builds a program from instructions and labels, then resolves the jumps. */
export class Assembler {
  private readonly items: Item[] = [];
  /** For each label, the index into items of the instruction that follows it; -1 until bound. */
  private readonly labels: number[] = [];

  label(): Label {
    this.labels.push(-1);
    return (this.labels.length - 1) as Label;
  }

  /** Places label before the next instruction emitted. */
  bind(label: Label): void {
    if (this.labels[label] !== -1) throw new Error(`BPF label ${label} is bound twice`);
    this.labels[label] = this.items.length;
  }

  /** Creates a label bound before the next instruction emitted. */
  here(): Label {
    const label = this.label();
    this.bind(label);
    return label;
  }

  /** Loads the 32-bit word at offset in struct seccomp_data into A. */
  load(offset: number): void {
    this.items.push({ kind: "plain", code: BPF_LD | BPF_W | BPF_ABS, k: offset });
  }

  /** Computes A &= k. */
  and(k: number): void {
    this.items.push({ kind: "plain", code: BPF_ALU | BPF_AND | BPF_K, k: k >>> 0 });
  }

  ret(k: number): void {
    this.items.push({ kind: "plain", code: BPF_RET | BPF_K, k: k >>> 0 });
  }

  /** Jumps to jt when the condition on A and k holds, else to jf. */
  jump(condition: JumpCondition, k: number, jt: Label, jf: Label): void {
    this.items.push({ kind: "jump", code: BPF_JMP | condition | BPF_K, k: k >>> 0, jt, jf });
  }

  goto(target: Label): void {
    this.items.push({ kind: "ja", target });
  }

  /**
   * Resolves the labels into offsets. Every jump must go forward, as classic
   * BPF has no backward jumps.
   */
  assemble(): Instruction[] {
    const items = this.items;
    const position = (label: Label): number => {
      const index = this.labels[label];
      if (index === undefined || index < 0) throw new Error(`BPF label ${label} is never bound`);
      return index;
    };
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const targets = item.kind === "jump" ? [item.jt, item.jf] : item.kind === "ja" ? [item.target] : [];
      for (const target of targets) {
        if (position(target) <= i) throw new Error(`BPF jump at ${i} goes backward to ${position(target)}`);
        if (position(target) >= items.length) throw new Error(`BPF jump at ${i} goes past the end of the program`);
      }
    }

    // Relaxation: a conditional jump whose offset does not fit in 8 bits gets
    // a BPF_JA right after it. Adding one only moves targets further away,
    // so the set of such jumps grows until it is stable.
    const farTrue = new Array<boolean>(items.length).fill(false);
    const farFalse = new Array<boolean>(items.length).fill(false);
    let address: number[] = [];
    for (;;) {
      address = [];
      let next = 0;
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        address.push(next);
        next += 1 + (item.kind === "jump" ? Number(farTrue[i]) + Number(farFalse[i]) : 0);
      }
      address.push(next);
      let changed = false;
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        if (item.kind !== "jump") continue;
        const from = address[i]! + 1;
        if (!farTrue[i] && address[position(item.jt)]! - from > 255) farTrue[i] = changed = true;
        if (!farFalse[i] && address[position(item.jf)]! - from > 255) farFalse[i] = changed = true;
      }
      if (!changed) break;
    }

    const out: Instruction[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const at = address[i]!;
      if (item.kind === "plain") {
        out.push({ code: item.code, jt: 0, jf: 0, k: item.k });
      } else if (item.kind === "ja") {
        out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: address[position(item.target)]! - (at + 1) });
      } else {
        // Offsets count from the instruction after the jump. The BPF_JA for a
        // far true target comes first, then the one for a far false target.
        const trueSlot = at + 1;
        const falseSlot = at + 1 + Number(farTrue[i]);
        const trueTarget = address[position(item.jt)]!;
        const falseTarget = address[position(item.jf)]!;
        const jt = (farTrue[i] ? trueSlot : trueTarget) - (at + 1);
        const jf = (farFalse[i] ? falseSlot : falseTarget) - (at + 1);
        out.push({ code: item.code, jt, jf, k: item.k });
        if (farTrue[i]) out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: trueTarget - (trueSlot + 1) });
        if (farFalse[i]) out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: falseTarget - (falseSlot + 1) });
      }
    }
    return out;
  }
}

/** Return instructions emitted once, after the code whose jumps share them. */
export class ReturnPool {
  private readonly labels = new Map<number, Label>();

  constructor(private readonly asm: Assembler) {}

  /** Returns the label of "ret value", which the next emit() places. */
  to(value: number): Label {
    let label = this.labels.get(value);
    if (label === undefined) {
      label = this.asm.label();
      this.labels.set(value, label);
    }
    return label;
  }

  emit(): void {
    for (const [value, label] of this.labels) {
      this.asm.bind(label);
      this.asm.ret(value);
    }
    this.labels.clear();
  }
}

/** Encodes instructions as the array of struct sock_filter the kernel reads (native byte order, x86_64). */
export function encodeProgram(program: readonly Instruction[]): Uint8Array {
  const bytes = new Uint8Array(new ArrayBuffer(8 * Math.max(1, program.length)));
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < program.length; i++) {
    const insn = program[i]!;
    view.setUint16(8 * i, insn.code, true);
    view.setUint8(8 * i + 2, insn.jt);
    view.setUint8(8 * i + 3, insn.jf);
    view.setUint32(8 * i + 4, insn.k >>> 0, true);
  }
  return bytes;
}

/** Formats one instruction the way bpf_dbg and libseccomp's tools print them, for tests and debugging. */
export function disassemble(insn: Instruction, at: number): string {
  const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, "0")}`;
  const cls = insn.code & 0x07;
  if (cls === BPF_LD) return `ld [${insn.k}]`;
  if (cls === BPF_ALU) return `and #${hex(insn.k)}`;
  if (cls === BPF_RET) return `ret #${hex(insn.k)}`;
  const op = insn.code & 0xf0;
  if (op === BPF_JA) return `ja ${at + 1 + insn.k}`;
  const name = { [BPF_JEQ]: "jeq", [BPF_JGT]: "jgt", [BPF_JGE]: "jge", [BPF_JSET]: "jset" }[op] ?? `op${op}`;
  return `${name} #${hex(insn.k)} ${at + 1 + insn.jt} ${at + 1 + insn.jf}`;
}
