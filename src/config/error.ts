import { UserError } from "../errors.ts";

/**
 * An unreadable or invalid container configuration. The message is one line:
 * the file, the OCI field path and what is wrong, each present when known, as in
 * `config.json: linux.uidMappings[0].size: expected a number, got "x"`.
 */
export class ConfigError extends UserError {
  override name = "ConfigError";
  constructor(
    /** The OCI field path, such as `process.capabilities.bounding[2]`. */
    readonly field: string | undefined,
    /** The problem with the field, or with the file when there is no field. */
    readonly detail: string,
    readonly file?: string,
    options?: ErrorOptions,
  ) {
    super([file, field, detail].filter((part) => part !== undefined && part !== "").join(": "), 1, options);
  }

  /** Returns a copy that names `file`, for checks that run before the file is known. */
  inFile(file: string): ConfigError {
    return new ConfigError(this.field, this.detail, file, { cause: this.cause });
  }
}

/** Writes a path of keys and indexes the way the OCI spec names fields: `linux.sysctl["net.ipv4.ip_forward"]`. */
export function fieldPath(keys: readonly (string | number)[]): string {
  let path = "";
  for (const key of keys) {
    if (typeof key === "number") path += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) path += path === "" ? key : `.${key}`;
    else path += `[${JSON.stringify(key)}]`;
  }
  return path;
}

/** Renders a JSON value briefly for messages: strings quoted, arrays and objects by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}..."` : text;
  }
  return String(value);
}
