// The seccomp compiler: programs checked instruction by instruction for a tiny
// profile, and verdicts for given seccomp_data from a classic BPF interpreter
// written here (with the kernel's checks of a seccomp program).
import { runFilter } from "../../src/seccomp/verdict.ts";
import { ptr } from "bun:ffi";
import { describe, expect, test } from "bun:test";
import { compileSeccomp, seccompFilter, type SeccompConfig } from "../../src/seccomp/index.ts";
import { disassemble, encodeProgram, type Instruction } from "../../src/seccomp/bpf.ts";
import { I386_SYSCALLS, X32_SYSCALLS, X86_64_SYSCALLS } from "../../src/seccomp/syscalls.ts";
import { mobyDefaultProfile, toOciSeccomp } from "../fixtures/seccomp/moby.ts";

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;

const KILL_THREAD = 0;
const KILL_PROCESS = 0x80000000;
const TRAP = 0x00030000;
const ERRNO = 0x00050000;
const TRACE = 0x7ff00000;
const LOG = 0x7ffc0000;
const ALLOW = 0x7fff0000;
const EPERM = ERRNO | 1;
const ENOSYS = ERRNO | 38;

const nr64 = (name: string) => X86_64_SYSCALLS[name]!;

// ---- A classic BPF interpreter for seccomp programs ----

/** Rejects what the kernel rejects when a seccomp filter is installed (bpf_check_classic, seccomp_check_filter). */
function checkProgram(program: readonly Instruction[]): void {
  if (program.length === 0 || program.length > 4096) throw new Error(`program length ${program.length}`);
  program.forEach((insn, pc) => {
    for (const field of [insn.jt, insn.jf]) {
      if (!Number.isInteger(field) || field < 0 || field > 255) throw new Error(`${pc}: jump offset ${field}`);
    }
    if (!Number.isInteger(insn.k) || insn.k < 0 || insn.k > 0xffffffff) throw new Error(`${pc}: k ${insn.k}`);
    switch (insn.code) {
      case 0x20: // ld [k]
        if (insn.k % 4 !== 0 || insn.k >= 64) throw new Error(`${pc}: load outside seccomp_data at ${insn.k}`);
        break;
      case 0x54: // and #k
      case 0x06: // ret #k
        break;
      case 0x05: // ja
        if (pc + 1 + insn.k >= program.length) throw new Error(`${pc}: ja out of range`);
        break;
      case 0x15: // jeq
      case 0x25: // jgt
      case 0x35: // jge
      case 0x45: // jset
        if (pc + 1 + Math.max(insn.jt, insn.jf) >= program.length) throw new Error(`${pc}: jump out of range`);
        break;
      default:
        throw new Error(`${pc}: opcode 0x${insn.code.toString(16)} not allowed in seccomp`);
    }
  });
  if (program.at(-1)!.code !== 0x06) throw new Error("the last instruction is not ret");
}

/** Runs the program on seccomp_data; returns the SECCOMP_RET_* value. */
const run = runFilter;

function compile(config: SeccompConfig, warnings: string[] = []): Instruction[] {
  const program = compileSeccomp(config, (message) => warnings.push(message)).instructions;
  checkProgram(program);
  return program;
}

function listing(program: readonly Instruction[]): string {
  return program.map((insn, i) => `${i}: ${disassemble(insn, i)}`).join("\n");
}

// ---- Tests ----

describe("seccomp program layout", () => {
  test("tiny profile, instruction by instruction", () => {
    const program = compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO" }] });
    expect(program).toEqual([
      { code: 0x20, jt: 0, jf: 0, k: 4 }, //              0: ld [arch]
      { code: 0x15, jt: 1, jf: 0, k: AUDIT_ARCH_X86_64 }, // 1: x86_64? -> 3
      { code: 0x06, jt: 0, jf: 0, k: KILL_THREAD }, //     2: foreign architecture
      { code: 0x20, jt: 0, jf: 0, k: 0 }, //              3: ld [nr]
      { code: 0x35, jt: 0, jf: 1, k: 0x40000000 }, //     4: x32 bit set? -> 5, else -> 6
      { code: 0x15, jt: 0, jf: 3, k: 0xffffffff }, //     5: nr -1 -> 6, other x32 -> 9
      { code: 0x15, jt: 0, jf: 1, k: 83 }, //             6: mkdir? -> 7, else -> 8
      { code: 0x06, jt: 0, jf: 0, k: EPERM }, //          7
      { code: 0x06, jt: 0, jf: 0, k: ALLOW }, //          8: default
      { code: 0x06, jt: 0, jf: 0, k: KILL_THREAD }, //    9: x32 call on a filter without x32
    ]);
  });

  test("encodes struct sock_filter in native byte order", () => {
    const bytes = encodeProgram([{ code: 0x15, jt: 1, jf: 2, k: 0xc000003e }]);
    expect([...bytes]).toEqual([0x15, 0x00, 0x01, 0x02, 0x3e, 0x00, 0x00, 0xc0]);
  });

  test("sock_fprog holds the length and the filter's address", () => {
    const loadable = seccompFilter({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO" }] }, () => {});
    expect(loadable.prog.byteLength).toBe(16);
    expect(loadable.prog[0]).toBe(10n);
    expect(loadable.prog[1]).toBe(BigInt(ptr(loadable.filter) as unknown as number));
    expect(loadable.filter.byteLength).toBe(80);
    // One buffer contains both, so keeping prog alive keeps the filter alive too.
    expect(loadable.filter.buffer).toBe(loadable.prog.buffer);
    expect([...loadable.filter.subarray(0, 8)]).toEqual([0x20, 0, 0, 0, 4, 0, 0, 0]);
    expect(loadable.flags).toBe(4);
  });

  test("disassembles jumps with absolute targets", () => {
    const program = compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO" }] });
    expect(listing(program).split("\n").slice(0, 3)).toEqual(["0: ld [4]", "1: jeq #0xc000003e 3 2", "2: ret #0x00000000"]);
  });
});

describe("seccomp actions", () => {
  const cases: [string, number | undefined, number][] = [
    ["SCMP_ACT_KILL", undefined, KILL_THREAD],
    ["SCMP_ACT_KILL_THREAD", undefined, KILL_THREAD],
    ["SCMP_ACT_KILL_PROCESS", undefined, KILL_PROCESS],
    ["SCMP_ACT_TRAP", undefined, TRAP],
    ["SCMP_ACT_ERRNO", undefined, EPERM],
    ["SCMP_ACT_ERRNO", 13, ERRNO | 13],
    ["SCMP_ACT_ERRNO", 0, ERRNO],
    ["SCMP_ACT_TRACE", undefined, TRACE | 1],
    ["SCMP_ACT_TRACE", 7, TRACE | 7],
    ["SCMP_ACT_LOG", undefined, LOG],
  ];
  for (const [action, errnoRet, expected] of cases) {
    test(`${action}${errnoRet === undefined ? "" : ` errnoRet ${errnoRet}`} returns 0x${expected.toString(16)}`, () => {
      const program = compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["getpid"], action, errnoRet }] });
      expect(run(program, { nr: nr64("getpid") })).toBe(expected);
      expect(run(program, { nr: nr64("getppid") })).toBe(ALLOW);
    });
  }

  test("defaultErrnoRet sets the default errno", () => {
    const program = compile({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 95, syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }] });
    expect(run(program, { nr: nr64("read") })).toBe(ALLOW);
    expect(run(program, { nr: 0 + nr64("read") + 0 })).toBe(ALLOW);
    // Above read (0), every number is newer than the profile: ENOSYS.
    expect(run(program, { nr: nr64("write") })).toBe(ENOSYS);
  });

  test("SCMP_ACT_NOTIFY is rejected naming the field", () => {
    expect(() => compile({ defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/agent.sock", syscalls: [{ names: ["read"], action: "SCMP_ACT_KILL" }, { names: ["mkdir"], action: "SCMP_ACT_NOTIFY" }] })).toThrow(
      "linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY is not supported",
    );
    expect(() => compile({ defaultAction: "SCMP_ACT_NOTIFY" })).toThrow("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported");
  });

  test("errnoRet above 16 bits is rejected naming the field", () => {
    expect(() => compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", errnoRet: 70000 }] })).toThrow(
      "linux.seccomp.syscalls[0].errnoRet: expected 0 to 65535, got 70000",
    );
    expect(() => compile({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 65536 })).toThrow("linux.seccomp.defaultErrnoRet: expected 0 to 65535");
  });

  test("a rule with the default action is dropped", () => {
    const allowWrite = { names: ["write"], action: "SCMP_ACT_ALLOW" };
    const withRule = compile({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [allowWrite, { names: ["read"], action: "SCMP_ACT_ERRNO" }] });
    const withoutRule = compile({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [allowWrite] });
    expect(withRule).toEqual(withoutRule);
    // A different errno is a different action, so that rule stays.
    const otherErrno = compile({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [allowWrite, { names: ["read"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }] });
    expect(run(otherErrno, { nr: nr64("read") })).toBe(ENOSYS);
    expect(run(withRule, { nr: nr64("read") })).toBe(EPERM);
  });
});

describe("seccomp filter flags", () => {
  const flagsOf = (flags: string[] | undefined, warnings: string[] = []) =>
    compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW", flags }, (m) => warnings.push(m)).flags;

  test("without flags, SPEC_ALLOW is set as runc does", () => {
    expect(flagsOf(undefined)).toBe(4);
  });

  test("an empty list sets no flag", () => {
    expect(flagsOf([])).toBe(0);
  });

  test("LOG and SPEC_ALLOW are passed and TSYNC is ignored", () => {
    expect(flagsOf(["SECCOMP_FILTER_FLAG_LOG"])).toBe(2);
    expect(flagsOf(["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"])).toBe(6);
  });

  test("WAIT_KILLABLE_RECV is left out with a warning", () => {
    const warnings: string[] = [];
    expect(flagsOf(["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"], warnings)).toBe(0);
    expect(warnings).toEqual([expect.stringContaining("linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")]);
  });

  test("an unknown flag is rejected naming the field", () => {
    expect(() => flagsOf(["SECCOMP_FILTER_FLAG_NEW_LISTENER"])).toThrow("linux.seccomp.flags[0]: unknown seccomp flag");
  });
});

// Boundary values for 64-bit comparisons: around 0, the word boundary and the top.
const VALUES = [
  0n, 1n, 7n, 8n, 9n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x1_0000_0000n, 0x1_0000_0001n, 0x1_0000_0008n,
  0x1_ffff_ffffn, 0x2_0000_0000n, 0xdead_beef_0000_0008n, 0x7fff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n,
  0xffff_ffff_0000_0000n, 0xffff_ffff_ffff_fffen, 0xffff_ffff_ffff_ffffn,
];

const REFERENCE: Record<string, (arg: bigint, value: bigint, valueTwo: bigint) => boolean> = {
  SCMP_CMP_EQ: (arg, value) => arg === value,
  SCMP_CMP_NE: (arg, value) => arg !== value,
  SCMP_CMP_LT: (arg, value) => arg < value,
  SCMP_CMP_LE: (arg, value) => arg <= value,
  SCMP_CMP_GT: (arg, value) => arg > value,
  SCMP_CMP_GE: (arg, value) => arg >= value,
  SCMP_CMP_MASKED_EQ: (arg, mask, datum) => (arg & mask) === (datum & mask),
};

describe("seccomp argument comparisons on 64-bit values", () => {
  for (const op of Object.keys(REFERENCE)) {
    test(`${op} matches the 64-bit comparison for boundary values`, () => {
      const check = REFERENCE[op]!;
      let compared = 0;
      for (const value of VALUES) {
        const valueTwos = op === "SCMP_CMP_MASKED_EQ" ? [0n, 8n, 0x1_0000_0000n, value, 0xffff_ffff_ffff_ffffn] : [0n];
        for (const valueTwo of valueTwos) {
          const program = compile({
            defaultAction: "SCMP_ACT_ALLOW",
            syscalls: [{ names: ["personality"], action: "SCMP_ACT_ERRNO", errnoRet: 22, args: [{ index: 2, value, valueTwo, op }] }],
          });
          for (const arg of VALUES) {
            const expected = check(arg, value, valueTwo) ? ERRNO | 22 : ALLOW;
            const got = run(program, { nr: nr64("personality"), args: [0n, 0n, arg] });
            if (got !== expected) throw new Error(`${op} value=0x${value.toString(16)} valueTwo=0x${valueTwo.toString(16)} arg=0x${arg.toString(16)}: got 0x${got.toString(16)}`);
            compared++;
          }
        }
      }
      expect(compared).toBeGreaterThan(VALUES.length);
    });
  }

  test("x86 compares only the low 32 bits", () => {
    const program = compile({
      defaultAction: "SCMP_ACT_ALLOW",
      architectures: ["SCMP_ARCH_X86"],
      syscalls: [{ names: ["personality"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 0x1_0000_0008n, op: "SCMP_CMP_EQ" }] }],
    });
    const personality32 = I386_SYSCALLS.personality!;
    expect(run(program, { arch: AUDIT_ARCH_I386, nr: personality32, args: [8n] })).toBe(EPERM);
    expect(run(program, { arch: AUDIT_ARCH_I386, nr: personality32, args: [9n] })).toBe(ALLOW);
    // On x86_64 the same rule needs all 64 bits.
    expect(run(program, { nr: nr64("personality"), args: [8n] })).toBe(ALLOW);
    expect(run(program, { nr: nr64("personality"), args: [0x1_0000_0008n] })).toBe(EPERM);
  });

  test("a masked comparison with mask 0 makes the rule unconditional", () => {
    const program = compile({
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [
        { names: ["personality"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 0, valueTwo: 5, op: "SCMP_CMP_MASKED_EQ" }] },
        { names: ["personality"], action: "SCMP_ACT_KILL", args: [{ index: 0, value: 1, op: "SCMP_CMP_EQ" }] },
      ],
    });
    expect(run(program, { nr: nr64("personality"), args: [1n] })).toBe(EPERM);
    expect(run(program, { nr: nr64("personality"), args: [123n] })).toBe(EPERM);
  });
});

describe("seccomp rule semantics", () => {
  const personality = nr64("personality");

  test("conditions of one rule are ANDed", () => {
    const program = compile({
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [
        {
          names: ["personality"],
          action: "SCMP_ACT_ERRNO",
          args: [
            { index: 0, value: 1, op: "SCMP_CMP_EQ" },
            { index: 1, value: 5, op: "SCMP_CMP_GT" },
          ],
        },
      ],
    });
    expect(run(program, { nr: personality, args: [1n, 6n] })).toBe(EPERM);
    expect(run(program, { nr: personality, args: [1n, 5n] })).toBe(ALLOW);
    expect(run(program, { nr: personality, args: [2n, 6n] })).toBe(ALLOW);
  });

  test("rules of one call are ORed", () => {
    const program = compile({
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [
        { names: ["personality"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 0, op: "SCMP_CMP_EQ" }] },
        { names: ["personality"], action: "SCMP_ACT_TRAP", args: [{ index: 0, value: 8, op: "SCMP_CMP_EQ" }] },
        { names: ["personality"], action: "SCMP_ACT_LOG", args: [{ index: 0, value: 4, op: "SCMP_CMP_GE" }] },
      ],
    });
    expect(run(program, { nr: personality, args: [0n] })).toBe(ALLOW);
    expect(run(program, { nr: personality, args: [8n] })).toBe(TRAP);
    expect(run(program, { nr: personality, args: [9n] })).toBe(LOG);
    expect(run(program, { nr: personality, args: [3n] })).toBe(EPERM);
  });

  test("one argument index twice makes each condition a rule of its own", () => {
    const program = compile({
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [
        {
          names: ["personality"],
          action: "SCMP_ACT_ERRNO",
          args: [
            { index: 0, value: 1, op: "SCMP_CMP_EQ" },
            { index: 0, value: 2, op: "SCMP_CMP_EQ" },
          ],
        },
      ],
    });
    expect(run(program, { nr: personality, args: [1n] })).toBe(EPERM);
    expect(run(program, { nr: personality, args: [2n] })).toBe(EPERM);
    expect(run(program, { nr: personality, args: [3n] })).toBe(ALLOW);
  });

  test("the first unconditional rule decides the system call", () => {
    const conditional = { names: ["personality"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 0, op: "SCMP_CMP_EQ" }] };
    for (const syscalls of [
      [conditional, { names: ["personality"], action: "SCMP_ACT_TRAP" }, { names: ["personality"], action: "SCMP_ACT_LOG" }],
      [{ names: ["personality"], action: "SCMP_ACT_TRAP" }, conditional, { names: ["personality"], action: "SCMP_ACT_LOG" }],
    ]) {
      const program = compile({ defaultAction: "SCMP_ACT_ERRNO", syscalls });
      expect(run(program, { nr: personality, args: [0n] })).toBe(TRAP);
      expect(run(program, { nr: personality, args: [1n] })).toBe(TRAP);
    }
  });

  test("an argument index above 5 is rejected naming the field", () => {
    expect(() => compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_KILL", args: [{ index: 6, value: 0, op: "SCMP_CMP_EQ" }] }] })).toThrow(
      "linux.seccomp.syscalls[0].args[0].index: expected 0 to 5, got 6",
    );
  });

  test("unknown system call names are ignored with one warning", () => {
    const warnings: string[] = [];
    const program = compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["no_such_call", "mkdir", "send", "set_tls"], action: "SCMP_ACT_ERRNO" }] }, warnings);
    expect(warnings).toEqual(["linux.seccomp.syscalls: ignored system calls unknown on SCMP_ARCH_X86_64: no_such_call, send, set_tls"]);
    expect(run(program, { nr: nr64("mkdir") })).toBe(EPERM);
  });

  test("a name known on one covered architecture gets no warning", () => {
    const warnings: string[] = [];
    // send exists on i386 only, through socketcall.
    compile({ defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86"], syscalls: [{ names: ["send"], action: "SCMP_ACT_ERRNO" }] }, warnings);
    expect(warnings).toEqual([]);
  });

  test("names that look like Object members are unknown", () => {
    const warnings: string[] = [];
    compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["toString", "constructor"], action: "SCMP_ACT_ERRNO" }] }, warnings);
    expect(warnings).toEqual(["linux.seccomp.syscalls: ignored system calls unknown on SCMP_ARCH_X86_64: toString, constructor"]);
  });

  test("an empty name is rejected naming the field", () => {
    expect(() => compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read", ""], action: "SCMP_ACT_KILL" }] })).toThrow("linux.seccomp.syscalls[0].names[1]");
  });
});

describe("seccomp architectures", () => {
  const mkdirRule = { names: ["mkdir"], action: "SCMP_ACT_ERRNO" };

  test("a call from an architecture not covered is killed", () => {
    const program = compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [mkdirRule] });
    expect(run(program, { arch: AUDIT_ARCH_I386, nr: I386_SYSCALLS.mkdir! })).toBe(KILL_THREAD);
    expect(run(program, { arch: AUDIT_ARCH_AARCH64, nr: 0 })).toBe(KILL_THREAD);
  });

  test("x32 calls are killed unless x32 is listed", () => {
    const without = compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [mkdirRule] });
    expect(run(without, { nr: X32_SYSCALLS.mkdir! })).toBe(KILL_THREAD);
    expect(run(without, { nr: X32_SYSCALLS.getpid! })).toBe(KILL_THREAD);
    // Number -1 (a tracer skipping the call) gets the default action.
    expect(run(without, { nr: -1 })).toBe(ALLOW);

    const withX32 = compile({ defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"], syscalls: [mkdirRule] });
    expect(run(withX32, { nr: X32_SYSCALLS.mkdir! })).toBe(EPERM);
    expect(run(withX32, { nr: X32_SYSCALLS.getpid! })).toBe(ALLOW);
    expect(run(withX32, { nr: nr64("mkdir") })).toBe(EPERM);
  });

  test("x86 gets its own numbers", () => {
    const program = compile({ defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86"], syscalls: [mkdirRule] });
    expect(I386_SYSCALLS.mkdir).not.toBe(nr64("mkdir"));
    expect(run(program, { arch: AUDIT_ARCH_I386, nr: I386_SYSCALLS.mkdir! })).toBe(EPERM);
    expect(run(program, { arch: AUDIT_ARCH_I386, nr: nr64("mkdir") })).toBe(ALLOW);
    expect(run(program, { nr: nr64("mkdir") })).toBe(EPERM);
  });

  test("x86 socket calls are also filtered through socketcall", () => {
    const program = compile({ defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86"], syscalls: [{ names: ["socket", "getpid"], action: "SCMP_ACT_ALLOW" }] });
    const socketcall = I386_SYSCALLS.socketcall!;
    expect(run(program, { arch: AUDIT_ARCH_I386, nr: I386_SYSCALLS.socket! })).toBe(ALLOW);
    expect(run(program, { arch: AUDIT_ARCH_I386, nr: socketcall, args: [1n] })).toBe(ALLOW); // SYS_SOCKET
    expect(run(program, { arch: AUDIT_ARCH_I386, nr: socketcall, args: [3n] })).toBe(EPERM); // SYS_CONNECT
  });

  test("foreign architectures are left out of the program", () => {
    const plain = compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [mkdirRule] });
    const listed = compile({ defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], syscalls: [mkdirRule] });
    expect(listed).toEqual(plain);
  });

  test("an unknown architecture is rejected naming the field", () => {
    expect(() => compile({ defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"] })).toThrow(
      'linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_VAX"',
    );
  });
});

describe("seccomp ENOSYS for newer system calls", () => {
  test("numbers above the profile's highest return ENOSYS", () => {
    const program = compile({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read", "mkdir"], action: "SCMP_ACT_ALLOW" }] });
    expect(run(program, { nr: nr64("mkdir") })).toBe(ALLOW);
    expect(run(program, { nr: nr64("getpid") })).toBe(EPERM);
    expect(run(program, { nr: nr64("mkdir") + 1 })).toBe(ENOSYS);
    expect(run(program, { nr: 1000 })).toBe(ENOSYS);
  });

  test("names with the default action count towards the highest", () => {
    const program = compile({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }, { names: ["openat2"], action: "SCMP_ACT_ERRNO" }] });
    expect(run(program, { nr: nr64("openat2") })).toBe(EPERM);
    expect(run(program, { nr: nr64("openat2") + 1 })).toBe(ENOSYS);
  });

  test("a permissive default action gets no ENOSYS", () => {
    for (const defaultAction of ["SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"]) {
      const program = compile({ defaultAction, syscalls: [{ names: ["read"], action: "SCMP_ACT_KILL" }] });
      expect(run(program, { nr: 1000 })).not.toBe(ENOSYS);
    }
  });

  test("x32 and i386 have limits of their own", () => {
    const program = compile({
      defaultAction: "SCMP_ACT_ERRNO",
      architectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ALLOW" }],
    });
    expect(run(program, { nr: X32_SYSCALLS.mkdir! })).toBe(ALLOW);
    expect(run(program, { nr: X32_SYSCALLS.mkdir! + 1 })).toBe(ENOSYS);
    expect(run(program, { nr: X32_SYSCALLS.mkdir! - 1 })).toBe(EPERM);
    expect(run(program, { arch: AUDIT_ARCH_I386, nr: I386_SYSCALLS.mkdir! })).toBe(ALLOW);
    expect(run(program, { arch: AUDIT_ARCH_I386, nr: I386_SYSCALLS.mkdir! + 1 })).toBe(ENOSYS);
    expect(run(program, { arch: AUDIT_ARCH_I386, nr: I386_SYSCALLS.mkdir! - 1 })).toBe(EPERM);
  });
});

describe("seccomp long jumps", () => {
  test("far targets keep verdicts correct", () => {
    // Every x86_64 call below 300 gets a conditional rule, so bodies push the
    // shared returns and the upper half of the tree far beyond 255.
    const names = Object.entries(X86_64_SYSCALLS).filter(([, nr]) => nr < 300).map(([name]) => name);
    const program = compile({
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: names.map((name) => ({
        names: [name],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 1, value: BigInt(X86_64_SYSCALLS[name]!) << 32n, op: "SCMP_CMP_GE" }],
      })),
    });
    expect(program.length).toBeGreaterThan(1000);
    expect(program.some((insn) => insn.code === 0x05)).toBe(true);
    for (const name of names) {
      const nr = X86_64_SYSCALLS[name]!;
      expect(run(program, { nr, args: [0n, BigInt(nr) << 32n] })).toBe(ALLOW);
      // Any value passes GE 0, so read (0) has no value below its bound.
      if (nr > 0) expect(run(program, { nr, args: [0n, (BigInt(nr) << 32n) - 1n] })).toBe(EPERM);
    }
    expect(run(program, { nr: 299 + 1000 })).toBe(ENOSYS);
  });
});

describe("seccomp programs against a reference evaluator", () => {
  // A small deterministic generator (mulberry32), so a failure can be replayed.
  function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const pick = <T,>(next: () => number, list: readonly T[]): T => list[Math.floor(next() * list.length)]!;

  const ACTIONS: [string, number | undefined, number][] = [
    ["SCMP_ACT_ALLOW", undefined, ALLOW],
    ["SCMP_ACT_ERRNO", undefined, EPERM],
    ["SCMP_ACT_ERRNO", 13, ERRNO | 13],
    ["SCMP_ACT_TRAP", undefined, TRAP],
    ["SCMP_ACT_LOG", undefined, LOG],
    ["SCMP_ACT_KILL_PROCESS", undefined, KILL_PROCESS],
  ];
  // Dense low numbers make runs of neighbours to merge; sparse high ones make gaps.
  const NAMES = Object.keys(X86_64_SYSCALLS).filter((_, i) => i < 40 || i % 6 === 0);

  /** Computes the verdict for an x86_64 call from the OCI rules directly. */
  function expected(config: SeccompConfig, defaultValue: number, nr: number, args: bigint[]): number {
    if (nr >= 0x40000000 && nr !== 0xffffffff) return KILL_THREAD;
    const named = (config.syscalls ?? []).flatMap((s) => s.names).map((name) => X86_64_SYSCALLS[name]!);
    if (!["SCMP_ACT_ALLOW", "SCMP_ACT_LOG"].includes(config.defaultAction) && nr !== 0xffffffff && nr > Math.max(...named)) return ENOSYS;
    const rules: { value: number; conditions: NonNullable<SeccompConfig["syscalls"]>[number]["args"] & {} }[] = [];
    for (const syscall of config.syscalls ?? []) {
      if (!syscall.names.some((name) => X86_64_SYSCALLS[name] === nr)) continue;
      const value = ACTIONS.find(([action, errnoRet]) => action === syscall.action && errnoRet === syscall.errnoRet)![2];
      if (value === defaultValue) continue;
      const conditions = syscall.args ?? [];
      const indexes = conditions.map((c) => c.index);
      const split = new Set(indexes).size < indexes.length ? conditions.map((c) => [c]) : [conditions];
      // A masked comparison with mask 0 always holds, and libseccomp drops it.
      for (const rule of split) rules.push({ value, conditions: rule.filter((c) => c.op !== "SCMP_CMP_MASKED_EQ" || BigInt(c.value) !== 0n) });
    }
    const unconditional = rules.find((rule) => rule.conditions.length === 0);
    if (unconditional) return unconditional.value;
    const conditional = rules.find((rule) => rule.conditions.every((c) => REFERENCE[c.op]!(args[c.index]!, BigInt(c.value), BigInt(c.valueTwo ?? 0))))?.value;
    return conditional ?? defaultValue;
  }

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    test(`random profile ${seed} gives the reference verdicts`, () => {
      const next = random(seed);
      const [defaultAction, defaultErrnoRet, defaultValue] = pick(next, ACTIONS);
      const syscalls = Array.from({ length: 60 }, () => {
        const [action, errnoRet] = pick(next, ACTIONS);
        const args = next() < 0.6 ? Array.from({ length: 1 + Math.floor(next() * 3) }, () => ({
          index: Math.floor(next() * 3),
          op: pick(next, Object.keys(REFERENCE)),
          value: pick(next, VALUES),
          valueTwo: pick(next, VALUES),
        })) : undefined;
        return { names: [pick(next, NAMES), pick(next, NAMES)], action, errnoRet, args };
      });
      const config: SeccompConfig = { defaultAction, defaultErrnoRet, syscalls };
      const program = compile(config);
      const numbers = [...NAMES.map((name) => X86_64_SYSCALLS[name]!), 0xffffffff, 0x40000002, 999];
      for (let i = 0; i < 3000; i++) {
        const nr = pick(next, numbers);
        const args = [pick(next, VALUES), pick(next, VALUES), pick(next, VALUES)];
        const want = expected(config, defaultValue, nr, args);
        const got = run(program, { nr, args });
        if (got !== want) throw new Error(`seed ${seed}: nr ${nr} args ${args.map((a) => `0x${a.toString(16)}`)}: got 0x${got.toString(16)}, expected 0x${want.toString(16)}`);
      }
    });
  }
});

describe("Docker default profile", () => {
  const DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
  const profile = mobyDefaultProfile();
  const oci = toOciSeccomp(profile, DEFAULT_CAPS) as unknown as SeccompConfig;

  test("compiles under 4096 instructions", () => {
    const warnings: string[] = [];
    const program = compile(oci, warnings);
    expect(program.length).toBeLessThan(4096);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("ignored system calls unknown on SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32");
  });

  test("allows every listed x86_64 call and denies the rest", () => {
    const program = compile(oci);
    const allowed = new Set((oci.syscalls ?? []).filter((s) => s.action === "SCMP_ACT_ALLOW" && !s.args).flatMap((s) => s.names));
    const highest = Math.max(...(oci.syscalls ?? []).flatMap((s) => s.names).map((name) => X86_64_SYSCALLS[name] ?? 0));
    let checked = 0;
    for (const [name, nr] of Object.entries(X86_64_SYSCALLS)) {
      const got = run(program, { nr, args: [0n, 0n, 0n, 0n, 0n, 0n] });
      if (allowed.has(name)) {
        expect(`${name} ${got.toString(16)}`).toBe(`${name} ${ALLOW.toString(16)}`);
        checked++;
      } else if (!["clone", "clone3", "socket", "personality"].includes(name)) {
        const denied = nr > highest ? ENOSYS : EPERM;
        expect(`${name} ${got.toString(16)}`).toBe(`${name} ${denied.toString(16)}`);
      }
    }
    expect(checked).toBeGreaterThan(250);
  });

  test("blocks mount, unshare and namespace flags of clone", () => {
    const program = compile(oci);
    const CLONE_NEWUSER = 0x10000000n;
    const SIGCHLD = 17n;
    expect(run(program, { nr: nr64("mount") })).toBe(EPERM);
    expect(run(program, { nr: nr64("unshare"), args: [CLONE_NEWUSER] })).toBe(EPERM);
    expect(run(program, { nr: nr64("clone"), args: [SIGCHLD] })).toBe(ALLOW);
    expect(run(program, { nr: nr64("clone"), args: [SIGCHLD | CLONE_NEWUSER] })).toBe(EPERM);
    expect(run(program, { nr: nr64("clone3") })).toBe(ENOSYS);
  });

  test("filters socket by address family and personality by persona", () => {
    const program = compile(oci);
    expect(run(program, { nr: nr64("socket"), args: [2n] })).toBe(ALLOW); // AF_INET
    expect(run(program, { nr: nr64("socket"), args: [38n] })).toBe(EPERM); // AF_ALG
    expect(run(program, { nr: nr64("socket"), args: [39n] })).toBe(ALLOW);
    expect(run(program, { nr: nr64("socket"), args: [40n] })).toBe(EPERM); // AF_VSOCK
    expect(run(program, { nr: nr64("socket"), args: [41n] })).toBe(ALLOW);
    expect(run(program, { nr: nr64("personality"), args: [0n] })).toBe(ALLOW);
    expect(run(program, { nr: nr64("personality"), args: [0xffffffffn] })).toBe(ALLOW);
    expect(run(program, { nr: nr64("personality"), args: [1n] })).toBe(EPERM);
  });

  test("returns ENOSYS above the newest call it names", () => {
    const program = compile(oci);
    expect(run(program, { nr: 1000 })).toBe(ENOSYS);
    expect(run(program, { arch: AUDIT_ARCH_I386, nr: 1000 })).toBe(ENOSYS);
  });

  test("covers i386 and x32 programs", () => {
    const program = compile(oci);
    expect(run(program, { arch: AUDIT_ARCH_I386, nr: I386_SYSCALLS.open! })).toBe(ALLOW);
    expect(run(program, { arch: AUDIT_ARCH_I386, nr: I386_SYSCALLS.mount! })).toBe(EPERM);
    expect(run(program, { nr: X32_SYSCALLS.openat! })).toBe(ALLOW);
    expect(run(program, { nr: X32_SYSCALLS.mount! })).toBe(EPERM);
  });

  test("with CAP_SYS_ADMIN allows mount and unshare", () => {
    const program = compile(toOciSeccomp(profile, [...DEFAULT_CAPS, "CAP_SYS_ADMIN"]) as unknown as SeccompConfig);
    expect(run(program, { nr: nr64("mount") })).toBe(ALLOW);
    expect(run(program, { nr: nr64("unshare"), args: [0x10000000n] })).toBe(ALLOW);
    expect(run(program, { nr: nr64("clone3") })).toBe(ALLOW);
  });
});

describe("seccomp filters and execve", () => {
  const deny = (args?: { index: number; value: number; op: string }[]): SeccompConfig => ({
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{ names: ["execve"], action: "SCMP_ACT_ERRNO", ...(args ? { args } : {}) }],
  });

  test("unconditional execve denial rejected", () => {
    expect(() => seccompFilter(deny(), () => {})).toThrow("does not allow execve");
  });

  test("execve denial on null envp accepted", () => {
    expect(() => seccompFilter(deny([{ index: 2, value: 0, op: "SCMP_CMP_EQ" }]), () => {})).not.toThrow();
  });

  test("execve denial on non-null argv accepted", () => {
    expect(() => seccompFilter(deny([{ index: 1, value: 0, op: "SCMP_CMP_NE" }]), () => {})).not.toThrow();
  });
});
