// The checks of ns exec's process options: each bad value fails with one
// line that names the option, before any container is looked up.
import { describe, expect, test } from "bun:test";
import { capabilityOption, checkExecOptions } from "../../src/cli/exec-options.ts";
import { UserError } from "../../src/errors.ts";

/** Returns the message and exit code of options that must fail. */
function failure(options: Record<string, string | string[]>): { message: string; exitCode: number } {
  try {
    checkExecOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return { message: (error as UserError).message, exitCode: (error as UserError).exitCode };
  }
  throw new Error("expected checkExecOptions to throw, but it passed");
}

describe("checkExecOptions", () => {
  test("valid options pass", () => {
    expect(() =>
      checkExecOptions({ cwd: "/tmp", env: ["A=", "B=c=d"], cap: ["CAP_NET_ADMIN", "sys_time"], "additional-gids": ["0", "4294967294"] }),
    ).not.toThrow();
  });

  test.each([
    [{ cwd: "tmp" }, "--cwd tmp: expected an absolute path"],
    [{ env: ["A=1", "BAD"] }, "--env BAD: expected NAME=VALUE"],
    [{ env: ["=x"] }, "--env =x: expected NAME=VALUE"],
    [{ cap: ["CAP_BOGUS"] }, "--cap CAP_BOGUS: unknown capability"],
    [{ cap: ["bogus"] }, "--cap bogus: unknown capability"],
    [{ "additional-gids": ["abc"] }, "--additional-gids abc: expected a numeric group id from 0 to 4294967294"],
    [{ "additional-gids": ["4294967295"] }, "--additional-gids 4294967295: expected a numeric group id from 0 to 4294967294"],
  ])("rejects %p", (options, message) => {
    expect(failure(options)).toEqual({ message, exitCode: 2 });
  });
});

describe("capabilityOption", () => {
  test.each([
    ["net_admin", "CAP_NET_ADMIN"],
    ["CAP_SYS_TIME", "CAP_SYS_TIME"],
    ["cap_chown", "CAP_CHOWN"],
  ])("turns %p into %p", (value, name) => {
    expect(capabilityOption(value)).toBe(name);
  });
});
