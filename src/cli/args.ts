// Command-line parsing driven by a table of commands, in runc's conventions:
// global options before the command, `--name value`, `--name=value`,
// single-dash long names (`-bundle`), short aliases, repeatable options and
// `--` before the container command. yargs did this too but cost about 22 ms
// a start (bun build --compile, this machine), twice the whole budget of `ns run`.
import { UserError } from "../errors.ts";

export type OptionType = "boolean" | "string" | "number" | "array";

export interface OptionSpec {
  name: string;
  alias?: string;
  type: OptionType;
  description: string;
  /** Shown in help as the value's name. */
  value?: string;
  hidden?: boolean;
}

export interface PositionalSpec {
  name: string;
  required?: boolean;
  /** Collects every remaining argument (and everything after `--`). */
  rest?: boolean;
}

export type ParsedValue = boolean | string | number | string[] | undefined;

export interface ParsedArgs {
  options: Record<string, ParsedValue>;
  positionals: Record<string, string | string[] | undefined>;
}

function findOption(specs: readonly OptionSpec[], name: string): OptionSpec | undefined {
  return specs.find((o) => o.name === name || o.alias === name);
}

/**
 * Parses argv against option and positional specs. Options may appear
 * anywhere before `--`; the first argument of a `rest` positional and
 * everything after it are taken as they are (`ns exec ID sh -c 'x --y'`).
 * Errors start with the command's name, or with nothing for the global
 * options (command undefined).
 */
export function parseArgs(
  argv: readonly string[],
  options: readonly OptionSpec[],
  positionals: readonly PositionalSpec[],
  command: string | undefined,
  stopAtFirstPositional = false,
): ParsedArgs & { rest: string[] } {
  const prefix = command === undefined ? "" : `${command}: `;
  const helpCommand = command === undefined ? "ns --help" : `ns ${command} --help`;
  const parsed: Record<string, ParsedValue> = {};
  const words: string[] = [];
  const restIndex = positionals.findIndex((p) => p.rest);
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      words.push(arg);
      if (stopAtFirstPositional) {
        i++;
        break;
      }
      // Once the fixed positionals are filled, the rest belongs to the container command.
      if (restIndex >= 0 && words.length > restIndex) {
        i++;
        break;
      }
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = findOption(options, name);
    if (!spec) throw new UserError(`${prefix}unknown option "${arg}" (see "${helpCommand}")`, 2);
    let value: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (spec.type === "boolean") {
      parsed[spec.name] = value === undefined ? true : !/^(false|0|no)$/i.test(value);
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UserError(`${prefix}option "--${spec.name}" needs a value`, 2);
      value = argv[++i]!;
    }
    if (spec.type === "number") {
      const n = Number(value);
      if (!Number.isInteger(n)) throw new UserError(`${prefix}option "--${spec.name}": expected an integer, got "${value}"`, 2);
      parsed[spec.name] = n;
    } else if (spec.type === "array") {
      const list = (parsed[spec.name] as string[] | undefined) ?? [];
      list.push(value);
      parsed[spec.name] = list;
    } else {
      parsed[spec.name] = value;
    }
  }
  const rest = argv.slice(i);
  const result: Record<string, string | string[] | undefined> = {};
  positionals.forEach((p, index) => {
    if (p.rest) {
      result[p.name] = [...words.slice(index), ...rest];
      return;
    }
    const word = words[index];
    if (word === undefined && p.required && parsed.help !== true) {
      throw new UserError(`${prefix}missing ${p.name.toUpperCase()} (see "${helpCommand}")`, 2);
    }
    result[p.name] = word;
  });
  const fixed = restIndex >= 0 ? restIndex : positionals.length;
  if (restIndex < 0 && words.length > fixed) {
    throw new UserError(`${prefix}unexpected argument "${words[fixed]}"`, 2);
  }
  return { options: parsed, positionals: result, rest: restIndex >= 0 ? [] : rest };
}

/** Help text for a command. */
export function formatHelp(
  usage: string,
  summary: string,
  options: readonly OptionSpec[],
): string {
  const lines = [`Usage: ${usage}`, "", summary];
  const shown = options.filter((o) => !o.hidden);
  if (shown.length > 0) {
    lines.push("", "Options:");
    const labels = shown.map((o) => {
      const names = [o.alias ? `-${o.alias}` : "", `--${o.name}`].filter(Boolean).join(", ");
      return o.type === "boolean" ? names : `${names} ${o.value ?? o.type.toUpperCase()}`;
    });
    const width = Math.max(...labels.map((l) => l.length));
    shown.forEach((o, i) => lines.push(`  ${labels[i]!.padEnd(width)}  ${o.description}`));
  }
  return lines.join("\n");
}
