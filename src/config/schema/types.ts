// Building blocks of the config schema: integers of the OCI spec's widths,
// enumerations, and the messages that name what was expected.
import * as v from "valibot";
import { describeValue } from "../error.ts";

const UINT64_MAX = 2n ** 64n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function integerMessage(input: unknown, min: number | bigint, max: number | bigint): string {
  if (typeof input !== "number" && typeof input !== "bigint") return `expected a number, got ${describeValue(input)}`;
  if (typeof input === "number" && !Number.isInteger(input)) return `expected an integer, got ${input}`;
  return `expected an integer from ${min} to ${max}, got ${input}`;
}

/** Builds a schema for an integer in [min, max], kept as a number; min and max must be safe integers. */
export function integer(min: number, max: number) {
  return v.custom<number>(
    (input) => typeof input === "number" && Number.isInteger(input) && input >= min && input <= max,
    (issue) => integerMessage(issue.input, min, max),
  );
}

/**
 * Builds a schema for an integer in [min, max], returned as a bigint, for the 64-bit fields whose
 * values pass 2^53. A number is accepted if it is a safe integer. A larger
 * number can only come from a literal with an exponent, which has lost digits.
 */
export function bigInteger(min: bigint, max: bigint) {
  const fits = (input: unknown): input is number | bigint =>
    (typeof input === "bigint" || (typeof input === "number" && Number.isSafeInteger(input))) &&
    BigInt(input) >= min &&
    BigInt(input) <= max;
  return v.pipe(
    v.custom<number | bigint>(fits, (issue) => {
      const input = issue.input;
      if (typeof input === "number" && Number.isInteger(input) && !Number.isSafeInteger(input)) {
        return `expected an integer written out in digits, got ${input} (a value beyond 2^53 with an exponent is inexact)`;
      }
      return integerMessage(input, min, max);
    }),
    v.transform((input: number | bigint) => BigInt(input)),
  );
}

export const uint16 = integer(0, 0xffff);
export const uint32 = integer(0, 0xffff_ffff);
export const int32 = integer(-0x8000_0000, 0x7fff_ffff);
/** A uint64 field whose sensible values stay below 2^53 (CPU periods, scheduler times). */
export const uint53 = integer(0, Number.MAX_SAFE_INTEGER);
/** An int64 field whose sensible values stay within ±2^53 (quotas, pids limit, device numbers). */
export const int53 = integer(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
/** A uint64 field that can use all 64 bits, as a bigint. */
export const uint64 = bigInteger(0n, UINT64_MAX);
/** An int64 field that can use all 64 bits, as a bigint. */
export const int64 = bigInteger(INT64_MIN, INT64_MAX);

export const UINT64_MAX_VALUE = UINT64_MAX;

/** Builds a schema for one of a fixed set of strings. Any other string is an error that names `kind` and lists the set. */
export function oneOf<const T extends readonly string[]>(options: T, kind: string) {
  return v.picklist(options, (issue) =>
    typeof issue.input === "string"
      ? `unknown ${kind} ${JSON.stringify(issue.input)} (expected one of ${options.join(", ")})`
      : `expected a string, got ${describeValue(issue.input)}`,
  );
}

/**
 * Accepts a JSON object and rejects an array. valibot's object and record
 * schemas take any non-null object, so an array would otherwise pass as an
 * object with members "0", "1" and so on.
 */
const plainObject = v.custom<Record<string, unknown>>(
  (input) => typeof input === "object" && input !== null && !Array.isArray(input),
  (issue) => `expected an object, got ${describeValue(issue.input)}`,
);

/** Builds a schema for a JSON object with these members; unknown members are dropped. */
export function object<const TEntries extends v.ObjectEntries>(entries: TEntries) {
  return v.pipe(plainObject, v.object(entries));
}

/** Builds a schema for a JSON object used as a map from keys to values. */
export function record<
  const TKey extends v.BaseSchema<string, string, v.BaseIssue<unknown>>,
  const TValue extends v.BaseSchema<unknown, unknown, v.BaseIssue<unknown>>,
>(key: TKey, value: TValue) {
  return v.pipe(plainObject, v.record(key, value));
}

export const strings = v.array(v.string());
export const stringMap = record(v.string(), v.string());

const EXPECTED: Readonly<Record<string, string>> = {
  string: "a string",
  boolean: "true or false",
  number: "a number",
  array: "an array",
  object: "an object",
  record: "an object",
};

/**
 * Writes the message for an issue that its schema gave none: a missing member or a
 * value of the wrong JSON type. Pass it as the `message` of the parse config.
 */
export function issueMessage(issue: v.BaseIssue<unknown>): string {
  if (issue.type === "object" && issue.input === undefined) return "required field is missing";
  const expected = EXPECTED[issue.type];
  if (expected !== undefined) return `expected ${expected}, got ${describeValue(issue.input)}`;
  return issue.message;
}
