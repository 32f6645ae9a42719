// Reading an OCI bundle's config.json into a typed Spec.
import { readFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { SyscallError } from "../ffi/libc.ts";
import { ConfigError, fieldPath } from "./error.ts";
import { JsonSyntaxError, parseJson, stringifyJson } from "./json.ts";
import { specSchema, type Spec } from "./schema.ts";
import { issueMessage } from "./schema/types.ts";

export { ConfigError } from "./error.ts";

/** Reads and parses `<bundleDir>/config.json`; `file` is the path that was read. */
export function loadSpec(bundleDir: string): { spec: Spec; file: string } {
  const file = join(bundleDir, "config.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw openError(error, file);
  }
  return { spec: parseSpec(text, file), file };
}

function openError(error: unknown, file: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const errno = code === undefined ? undefined : (constants.errno as Record<string, number>)[code];
  if (errno === undefined) return error;
  const cause = new SyscallError("open", errno, file, { cause: error });
  return new ConfigError(undefined, cause.message, undefined, { cause });
}

/**
 * Parses config.json text against the schema; `file` names it in messages.
 * Throws ConfigError for malformed JSON (with line and column) and for the
 * first member that does not fit the schema (with its field path).
 */
export function parseSpec(text: string, file: string): Spec {
  let json: unknown;
  try {
    json = parseJson(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    const where = error.line === undefined ? file : `${file}:${error.line}:${error.column}`;
    throw new ConfigError(undefined, `invalid JSON: ${error.reason}`, where, { cause: error });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ConfigError(undefined, "expected a JSON object at the top level", file);
  }

  const result = v.safeParse(specSchema, json, { abortEarly: true, message: issueMessage });
  if (result.success) return result.output;
  const issue = result.issues[0];
  const keys = (issue.path ?? []).map((item) => item.key as string | number);
  throw new ConfigError(fieldPath(keys), issue.message, file);
}

/** Formats a Spec as config.json text, with 64-bit integers written exactly. */
export function stringifySpec(spec: Spec): string {
  return `${stringifyJson(spec)}\n`;
}
