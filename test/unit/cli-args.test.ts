// The argv parser's messages: global options name no command, a command's
// options name that command.
import { describe, expect, test } from "bun:test";
import { parseArgs } from "../../src/cli/args.ts";
import { GLOBAL_OPTIONS, findCommand } from "../../src/cli/commands.ts";
import { UserError } from "../../src/errors.ts";

/** Returns the message and exit code of a parse that must fail. */
function failure(run: () => unknown): { message: string; exitCode: number } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return { message: (error as UserError).message, exitCode: (error as UserError).exitCode };
  }
  throw new Error("expected parseArgs to throw, but it returned");
}

const parseGlobal = (argv: string[]) => parseArgs(argv, GLOBAL_OPTIONS, [{ name: "command" }], undefined, true);

describe("global options", () => {
  test("missing value names no command", () => {
    expect(failure(() => parseGlobal(["--root"]))).toEqual({ message: 'option "--root" needs a value', exitCode: 2 });
  });

  test("unknown option points to ns --help", () => {
    expect(failure(() => parseGlobal(["--bogus"]))).toEqual({ message: 'unknown option "--bogus" (see "ns --help")', exitCode: 2 });
  });

  test("command and the rest pass through", () => {
    const parsed = parseGlobal(["--root", "/r", "exec", "--bogus"]);
    expect(parsed.options.root).toBe("/r");
    expect(parsed.positionals.command).toBe("exec");
    expect(parsed.rest).toEqual(["--bogus"]);
  });
});

describe("command options", () => {
  const exec = findCommand("exec")!;

  test("unknown option names the command", () => {
    expect(failure(() => parseArgs(["--bogus"], exec.options, exec.positionals, "exec"))).toEqual({
      message: 'exec: unknown option "--bogus" (see "ns exec --help")',
      exitCode: 2,
    });
  });

  test("missing positional names the command", () => {
    expect(failure(() => parseArgs([], exec.options, exec.positionals, "exec"))).toEqual({
      message: 'exec: missing ID (see "ns exec --help")',
      exitCode: 2,
    });
  });
});

describe("ps arguments", () => {
  const ps = findCommand("ps")!;

  test("after -- go to ps", () => {
    const parsed = parseArgs(["ctr", "--", "-o", "pid,comm"], ps.options, ps.positionals, "ps");
    expect(parsed.positionals.id).toBe("ctr");
    expect(parsed.positionals["ps-args"]).toEqual(["-o", "pid,comm"]);
  });

  test("default to none", () => {
    const parsed = parseArgs(["ctr"], ps.options, ps.positionals, "ps");
    expect(parsed.positionals["ps-args"]).toEqual([]);
  });
});
