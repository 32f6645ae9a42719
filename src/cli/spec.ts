// ns spec: write a default config.json, as `runc spec` does.
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { defaultSpec } from "../config/default.ts";
import { stringifySpec } from "../config/load.ts";
import { UserError } from "../errors.ts";
import type { ParsedArgs } from "./args.ts";

export default function spec(args: ParsedArgs): number {
  const dir = resolve((args.options.bundle as string | undefined) ?? ".");
  const file = `${dir}/config.json`;
  if (existsSync(file)) throw new UserError(`spec: ${file} already exists; remove it first`);
  writeFileSync(file, stringifySpec(defaultSpec({ rootless: args.options.rootless === true })));
  return 0;
}
