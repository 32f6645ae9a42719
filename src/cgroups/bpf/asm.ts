// A small eBPF assembler: the instruction encoding of the kernel's
// include/uapi/linux/bpf.h and bpf_common.h, for the few instructions the
// device program needs.

/** One eBPF instruction: 8 bytes, opcode, dst and src registers, offset, immediate. */
export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

// Instruction classes.
export const BPF_LDX = 0x01;
export const BPF_ALU64 = 0x07;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
// Size and mode of loads.
export const BPF_W = 0x00;
export const BPF_MEM = 0x60;
// Source operand: immediate or register.
export const BPF_K = 0x00;
export const BPF_X = 0x08;
// ALU operations.
export const BPF_AND = 0x50;
export const BPF_RSH = 0x70;
export const BPF_MOV = 0xb0;
// Jump operations.
export const BPF_JEQ = 0x10;
export const BPF_JNE = 0x50;
export const BPF_EXIT = 0x90;

export const R0 = 0;
export const R1 = 1;
export const R2 = 2;
export const R3 = 3;
export const R4 = 4;
export const R5 = 5;
export const R6 = 6;

/** dst = *(u32 *)(src + off), zero-extended. */
export function ldxW(dst: number, src: number, off: number): BpfInsn {
  return { code: BPF_LDX | BPF_W | BPF_MEM, dst, src, off, imm: 0 };
}

/** dst = imm, sign-extended to 64 bits. */
export function movImm(dst: number, imm: number): BpfInsn {
  return { code: BPF_ALU64 | BPF_MOV | BPF_K, dst, src: 0, off: 0, imm };
}

/** dst = src. */
export function movReg(dst: number, src: number): BpfInsn {
  return { code: BPF_ALU64 | BPF_MOV | BPF_X, dst, src, off: 0, imm: 0 };
}

/** dst &= imm. */
export function andImm(dst: number, imm: number): BpfInsn {
  return { code: BPF_ALU64 | BPF_AND | BPF_K, dst, src: 0, off: 0, imm };
}

/** dst >>= imm (logical). */
export function rshImm(dst: number, imm: number): BpfInsn {
  return { code: BPF_ALU64 | BPF_RSH | BPF_K, dst, src: 0, off: 0, imm };
}

/** if (dst op imm) skip `off` instructions, comparing all 64 bits. */
export function jmpImm(op: number, dst: number, imm: number, off: number): BpfInsn {
  return { code: BPF_JMP | op | BPF_K, dst, src: 0, off, imm };
}

/** if ((u32)dst op (u32)imm) skip `off` instructions. */
export function jmp32Imm(op: number, dst: number, imm: number, off: number): BpfInsn {
  return { code: BPF_JMP32 | op | BPF_K, dst, src: 0, off, imm };
}

/** return r0. */
export function exit(): BpfInsn {
  return { code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 };
}

/** Encodes instructions as the kernel reads them (struct bpf_insn, little-endian on x86_64). */
export function encode(insns: readonly BpfInsn[]): Uint8Array {
  const bytes = new Uint8Array(new ArrayBuffer(insns.length * 8));
  const view = new DataView(bytes.buffer);
  insns.forEach((insn, index) => {
    const at = index * 8;
    view.setUint8(at, insn.code);
    view.setUint8(at + 1, (insn.src << 4) | (insn.dst & 0x0f));
    view.setInt16(at + 2, insn.off, true);
    // A u32 immediate such as a device number is stored as its bit pattern.
    view.setInt32(at + 4, insn.imm | 0, true);
  });
  return bytes;
}
