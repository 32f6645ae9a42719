// Turning any error into the one line a user sees.
import { errnoName, errnoText, SyscallError } from "./ffi/libc.ts";

/** An error caused by the user's input or environment: printed as one line, never with a stack. */
export class UserError extends Error {
  override name = "UserError";
  constructor(
    message: string,
    readonly exitCode = 1,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

interface NodeErrno {
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
  dest?: string;
}

/** One line describing err: the message of ns's own errors, syscall, errno and path for Node's. */
export function describeError(err: unknown): string {
  if (err instanceof SyscallError || err instanceof UserError) return err.message;
  if (err instanceof Error) {
    const e = err as Error & NodeErrno;
    if (e.syscall && e.code) {
      const errno = typeof e.errno === "number" ? Math.abs(e.errno) : undefined;
      const text = errno === undefined ? e.code : `${errnoName(errno)} (${errnoText(errno)})`;
      const target = e.path === undefined ? "" : ` ${JSON.stringify(e.path)}`;
      return `${e.syscall}${target}: ${text}`;
    }
    return err.message.split("\n")[0] ?? String(err);
  }
  return String(err);
}
