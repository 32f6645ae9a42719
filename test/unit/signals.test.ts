// Signal names and numbers as ns kill accepts them.
import { describe, expect, test } from "bun:test";
import { UserError } from "../../src/errors.ts";
import { parseSignal, SIGNALS } from "../../src/signals.ts";

describe("parseSignal", () => {
  test("accepts names with and without SIG, in any case", () => {
    expect(parseSignal("SIGTERM")).toBe(15);
    expect(parseSignal("TERM")).toBe(15);
    expect(parseSignal("sigkill")).toBe(9);
    expect(parseSignal("hup")).toBe(1);
  });

  test("accepts numbers from 1 to 64", () => {
    expect(parseSignal("1")).toBe(1);
    expect(parseSignal("9")).toBe(9);
    expect(parseSignal("64")).toBe(64);
  });

  test("accepts real-time signals by offset", () => {
    expect(parseSignal("SIGRTMIN")).toBe(34);
    expect(parseSignal("RTMIN+3")).toBe(37);
    expect(parseSignal("SIGRTMAX-1")).toBe(63);
    expect(parseSignal("rtmax")).toBe(64);
  });

  test("accepts the aliases that share a number", () => {
    expect(parseSignal("IOT")).toBe(SIGNALS.SIGABRT!);
    expect(parseSignal("CLD")).toBe(SIGNALS.SIGCHLD!);
    expect(parseSignal("POLL")).toBe(SIGNALS.SIGIO!);
  });

  test.each(["0", "65", "-9", "FOO", "SIGFOO", "RTMIN+31", "RTMAX-31", "9x", ""])("rejects %p with a UserError naming it", (text) => {
    let error: unknown;
    try {
      parseSignal(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toContain(`"${text}"`);
    expect((error as Error).message).not.toContain("\n");
  });
});
