// JSON reading and writing for config.json, with exact 64-bit integers.
//
// The OCI spec has uint64 and int64 fields whose useful values pass 2^53:
// RLIM_INFINITY is 18446744073709551615 and seccomp argument masks use all 64
// bits. JSON.parse would round those to the nearest double, so parseJson uses
// the reviver's source text (JSON.parse source text access, present in Bun
// 1.4.4) to return every integer literal outside Number.MAX_SAFE_INTEGER as a
// bigint. The schema then accepts a bigint only in fields that can hold it.

/** A JSON syntax error with the 1-based line and column where it was found, when known. */
export class JsonSyntaxError extends Error {
  override name = "JsonSyntaxError";
  constructor(
    readonly reason: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(line === undefined ? reason : `line ${line}, column ${column}: ${reason}`);
  }
}

const INTEGER_LITERAL = /^-?\d+$/;

/**
 * Parses JSON text. Integer literals beyond 2^53 become bigints, and object
 * members whose value is null are dropped, because Go's encoding/json (which
 * wrote most configs in use) treats a null member as an absent one.
 * Throws JsonSyntaxError.
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text, revive);
  } catch (error) {
    // JSON.parse recurses, so arrays or objects nested some 100,000 deep exhaust the stack.
    if (error instanceof RangeError) throw new JsonSyntaxError("arrays or objects nested too deep to parse");
    if (!(error instanceof SyntaxError)) throw error;
    const found = findSyntaxError(text);
    if (found === undefined) {
      // Bun's parser rejected text that the scanner below accepts: report
      // Bun's reason without a position rather than none at all.
      throw new JsonSyntaxError(error.message.replace(/^JSON Parse error: /, ""));
    }
    const { line, column } = lineAndColumn(text, found.offset);
    throw new JsonSyntaxError(found.reason, line, column);
  }
}

function revive(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  if (value === null && !Array.isArray(this)) return undefined;
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    const source = context?.source;
    if (source !== undefined && INTEGER_LITERAL.test(source)) return BigInt(source);
  }
  return value;
}

/** Formats a value as JSON (tab-indented unless indent is ""), writing bigints as plain integers. */
export function stringifyJson(value: unknown, indent = "\t"): string {
  const raw = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? raw(v.toString()) : v), indent);
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

interface SyntaxProblem {
  offset: number;
  reason: string;
}

/**
 * Scans text as RFC 8259 JSON and returns the first syntax error, or undefined
 * if there is none. Runs only after JSON.parse has failed, to say where.
 */
export function findSyntaxError(text: string): SyntaxProblem | undefined {
  const scanner = new Scanner(text);
  try {
    scanner.skipSpace();
    scanner.value();
    scanner.skipSpace();
    if (scanner.pos < text.length) scanner.fail(`unexpected ${scanner.shown()} after the end of the JSON value`);
    return undefined;
  } catch (problem) {
    if (problem instanceof ScanFailure) return { offset: problem.offset, reason: problem.reason };
    // A RangeError here means nesting deep enough to exhaust the stack.
    if (problem instanceof RangeError) return { offset: scanner.pos, reason: "nesting too deep" };
    throw problem;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class ScanFailure {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

class Scanner {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(reason: string, offset = this.pos): never {
    throw new ScanFailure(offset, reason);
  }

  /** Quotes the character at the current position, or returns "end of input". */
  shown(): string {
    if (this.pos >= this.text.length) return "end of input";
    const code = this.text.codePointAt(this.pos)!;
    if (code < 0x20 || code === 0xfeff) return `character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
    return JSON.stringify(String.fromCodePoint(code));
  }

  skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c !== " " && c !== "\t" && c !== "\n" && c !== "\r") return;
      this.pos++;
    }
  }

  value(): void {
    const c = this.text[this.pos];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    for (const word of ["true", "false", "null"]) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return;
      }
    }
    this.fail(`expected a JSON value, got ${this.shown()}`);
  }

  object(): void {
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return;
    }
    for (;;) {
      if (this.text[this.pos] !== '"') this.fail(`expected a member name in double quotes, got ${this.shown()}`);
      this.string();
      this.skipSpace();
      if (this.text[this.pos] !== ":") this.fail(`expected ":" after a member name, got ${this.shown()}`);
      this.pos++;
      this.skipSpace();
      this.value();
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === "}") {
        this.pos++;
        return;
      }
      if (c !== ",") this.fail(`expected "," or "}" after an object member, got ${this.shown()}`);
      this.pos++;
      this.skipSpace();
    }
  }

  array(): void {
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return;
    }
    for (;;) {
      this.value();
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === "]") {
        this.pos++;
        return;
      }
      if (c !== ",") this.fail(`expected "," or "]" after an array element, got ${this.shown()}`);
      this.pos++;
      this.skipSpace();
    }
  }

  string(): void {
    const start = this.pos;
    this.pos++;
    while (this.pos < this.text.length) {
      const code = this.text.charCodeAt(this.pos);
      if (code === 0x22) {
        this.pos++;
        return;
      }
      if (code < 0x20) this.fail(`unescaped ${this.shown()} in a string`);
      if (code === 0x5c) this.escape();
      else this.pos++;
    }
    this.fail("unterminated string", start);
  }

  escape(): void {
    const next = this.text[this.pos + 1];
    if (next !== undefined && '"\\/bfnrt'.includes(next)) {
      this.pos += 2;
      return;
    }
    if (next === "u" && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) {
      this.pos += 6;
      return;
    }
    this.fail(`invalid escape sequence ${this.text.slice(this.pos, this.pos + 2)} in a string`);
  }

  number(): void {
    NUMBER.lastIndex = this.pos;
    if (!NUMBER.test(this.text)) this.fail("invalid number");
    this.pos = NUMBER.lastIndex;
  }
}
