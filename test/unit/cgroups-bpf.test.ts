// The cgroup v2 device program: instruction encoding, and the compiled
// program run by a small interpreter against the rule semantics it must
// implement (for each requested access bit, the last matching rule decides).
import { describe, expect, test } from "bun:test";
import { andImm, BPF_JNE, encode, exit, jmp32Imm, ldxW, movImm, movReg, R0, R1, R2, R6, rshImm } from "../../src/cgroups/bpf/asm.ts";
import { accessBits, BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_DEV_CHAR, compileDeviceProgram } from "../../src/cgroups/bpf/devices.ts";
import { defaultDeviceRules, parseDeviceRules, type DeviceRule } from "../../src/cgroups/devices.ts";

/** Runs an encoded program on a struct bpf_cgroup_dev_ctx; supports only the opcodes the compiler emits. */
function run(code: Uint8Array, ctx: { type: number; access: number; major: number; minor: number }): number {
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const memory = new DataView(new ArrayBuffer(12));
  memory.setUint32(0, (ctx.access << 16) | ctx.type, true);
  memory.setUint32(4, ctx.major, true);
  memory.setUint32(8, ctx.minor, true);
  const mask64 = (1n << 64n) - 1n;
  const regs = new Array<bigint | undefined>(11).fill(undefined);
  regs[1] = 0n; // the context pointer; loads are relative to it
  const reg = (index: number): bigint => {
    const value = regs[index];
    if (value === undefined) throw new Error(`read of uninitialized r${index}`);
    return value;
  };
  for (let pc = 0, steps = 0; pc * 8 < code.length; pc++, steps++) {
    if (steps > 10_000) throw new Error("program does not terminate");
    const opcode = view.getUint8(pc * 8);
    const regByte = view.getUint8(pc * 8 + 1);
    const dst = regByte & 0x0f;
    const src = regByte >> 4;
    const off = view.getInt16(pc * 8 + 2, true);
    const imm = view.getInt32(pc * 8 + 4, true);
    const imm64 = BigInt(imm) & mask64;
    switch (opcode) {
      case 0x61:
        regs[dst] = BigInt(memory.getUint32(Number(reg(src)) + off, true));
        break;
      case 0xb7:
        regs[dst] = imm64;
        break;
      case 0xbf:
        regs[dst] = reg(src);
        break;
      case 0x57:
        regs[dst] = reg(dst) & imm64;
        break;
      case 0x77:
        regs[dst] = reg(dst) >> BigInt(imm);
        break;
      case 0x15:
        if (reg(dst) === imm64) pc += off;
        break;
      case 0x55:
        if (reg(dst) !== imm64) pc += off;
        break;
      case 0x56:
        if ((reg(dst) & 0xffffffffn) !== (BigInt(imm) & 0xffffffffn)) pc += off;
        break;
      case 0x95:
        return Number(reg(R0));
      default:
        throw new Error(`unexpected opcode 0x${opcode.toString(16)} at ${pc}`);
    }
  }
  throw new Error("fell off the end of the program");
}

/** The semantics the program must have: every requested bit is decided by the last rule that matches the device and covers it. */
function expected(rules: readonly DeviceRule[], ctx: { type: number; access: number; major: number; minor: number }): number {
  for (const bit of [1, 2, 4]) {
    if ((ctx.access & bit) === 0) continue;
    let allowed = false;
    for (const rule of rules) {
      const typeMatches = rule.type === "a" || (rule.type === "b" ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR) === ctx.type;
      const matches = typeMatches && (rule.major === null || rule.major === ctx.major) && (rule.minor === null || rule.minor === ctx.minor);
      if (matches && (accessBits(rule.access) & bit) !== 0) allowed = rule.allow;
    }
    if (!allowed) return 0;
  }
  return 1;
}

const CHAR = BPF_DEVCG_DEV_CHAR;
const READ = 2;
const WRITE = 4;
const MKNOD = 1;

describe("bpf instruction encoding", () => {
  test("encodes opcode, registers, offset and immediate", () => {
    const bytes = encode([ldxW(R2, R1, 4), jmp32Imm(BPF_JNE, R6, -1, -2), movImm(R0, 1), exit()]);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x61, 0x12, 4, 0, 0, 0, 0, 0]);
    expect(Array.from(bytes.subarray(8, 16))).toEqual([0x56, 0x06, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(Array.from(bytes.subarray(16, 24))).toEqual([0xb7, 0x00, 0, 0, 1, 0, 0, 0]);
    expect(Array.from(bytes.subarray(24, 32))).toEqual([0x95, 0, 0, 0, 0, 0, 0, 0]);
  });

  test("stores a u32 immediate as its bit pattern", () => {
    const bytes = encode([jmp32Imm(BPF_JNE, R2, 0xffffffff, 1)]);
    expect(Array.from(bytes.subarray(4, 8))).toEqual([0xff, 0xff, 0xff, 0xff]);
  });

  test("encodes ALU instructions", () => {
    const bytes = encode([andImm(R2, 0xffff), rshImm(R6, 16), movReg(R0, R6)]);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x57, 0x02, 0, 0, 0xff, 0xff, 0, 0]);
    expect(Array.from(bytes.subarray(8, 16))).toEqual([0x77, 0x06, 0, 0, 16, 0, 0, 0]);
    expect(Array.from(bytes.subarray(16, 24))).toEqual([0xbf, 0x60, 0, 0, 0, 0, 0, 0]);
  });
});

describe("device program", () => {
  test("empty rule list denies everything", () => {
    const code = encode(compileDeviceProgram([]));
    expect(run(code, { type: CHAR, access: READ, major: 1, minor: 3 })).toBe(0);
  });

  test("deny all then allow /dev/null", () => {
    const rules = parseDeviceRules([
      { allow: false, access: "rwm" },
      { allow: true, type: "c", major: 1, minor: 3, access: "rw" },
    ]);
    const code = encode(compileDeviceProgram(rules));
    expect(run(code, { type: CHAR, access: READ | WRITE, major: 1, minor: 3 })).toBe(1);
    expect(run(code, { type: CHAR, access: MKNOD, major: 1, minor: 3 })).toBe(0);
    expect(run(code, { type: CHAR, access: READ, major: 1, minor: 5 })).toBe(0);
    expect(run(code, { type: BPF_DEVCG_DEV_BLOCK, access: READ, major: 1, minor: 3 })).toBe(0);
  });

  test("wildcard rule ends the program", () => {
    const rules = parseDeviceRules([
      { allow: true, type: "c", major: 1, minor: 3 },
      { allow: false, access: "rwm" },
    ]);
    const program = compileDeviceProgram(rules);
    // Six loads, then "r0 = 0; exit" for the wildcard deny, and nothing of the earlier rule.
    expect(program.length).toBe(8);
    expect(run(encode(program), { type: CHAR, access: READ, major: 1, minor: 3 })).toBe(0);
  });

  test("later deny of one access bit wins", () => {
    const rules = parseDeviceRules([
      { allow: true, type: "c", major: 1, access: "rwm" },
      { allow: false, type: "c", major: 1, minor: 5, access: "w" },
    ]);
    const code = encode(compileDeviceProgram(rules));
    expect(run(code, { type: CHAR, access: READ, major: 1, minor: 5 })).toBe(1);
    expect(run(code, { type: CHAR, access: READ | WRITE, major: 1, minor: 5 })).toBe(0);
    expect(run(code, { type: CHAR, access: READ | WRITE, major: 1, minor: 3 })).toBe(1);
  });

  test("default rules allow the standard devices", () => {
    const rules = parseDeviceRules([{ allow: false, access: "rwm" }, ...defaultDeviceRules]);
    const code = encode(compileDeviceProgram(rules));
    for (const [major, minor] of [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2], [136, 0], [136, 42]] as const) {
      expect(run(code, { type: CHAR, access: READ | WRITE, major, minor })).toBe(1);
    }
    expect(run(code, { type: CHAR, access: READ, major: 10, minor: 200 })).toBe(0);
    expect(run(code, { type: BPF_DEVCG_DEV_BLOCK, access: MKNOD, major: 8, minor: 0 })).toBe(1);
    expect(run(code, { type: BPF_DEVCG_DEV_BLOCK, access: READ, major: 8, minor: 0 })).toBe(0);
  });

  test("matches the rule semantics on random rule lists", () => {
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const accesses = ["r", "w", "m", "rw", "rm", "wm", "rwm"];
    for (let round = 0; round < 300; round++) {
      const rules = parseDeviceRules(
        Array.from({ length: random(6) }, () => ({
          allow: random(2) === 0,
          type: ["a", "b", "c"][random(3)],
          major: random(3) === 0 ? -1 : random(3),
          minor: random(3) === 0 ? undefined : random(3),
          access: accesses[random(accesses.length)],
        })),
      );
      const code = encode(compileDeviceProgram(rules));
      for (let probe = 0; probe < 20; probe++) {
        const ctx = { type: 1 + random(2), access: 1 + random(7), major: random(3), minor: random(3) };
        expect(run(code, ctx)).toBe(expected(rules, ctx));
      }
    }
  });
});

describe("device rule checks", () => {
  test("rejects an unknown type", () => {
    expect(() => parseDeviceRules([{ allow: true, type: "u" }])).toThrow('linux.resources.devices[0].type: "u" is not a device type');
  });

  test("rejects an unknown access letter", () => {
    expect(() => parseDeviceRules([{ allow: true, access: "rx" }])).toThrow("linux.resources.devices[0].access");
  });

  test("rejects a negative major other than -1", () => {
    expect(() => parseDeviceRules([{ allow: true, major: -2 }])).toThrow("linux.resources.devices[0].major: -2 is not a device number");
  });

  test("fills the defaults for unset fields", () => {
    expect(parseDeviceRules([{ allow: true }])).toEqual([{ allow: true, type: "a", major: null, minor: null, access: "rwm" }]);
  });

  test("accepts bigint device numbers", () => {
    expect(parseDeviceRules([{ allow: true, type: "c", major: 1n, minor: 3n, access: "wr" }])).toEqual([
      { allow: true, type: "c", major: 1, minor: 3, access: "rw" },
    ]);
  });
});
