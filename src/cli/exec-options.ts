// Checks of the options of ns exec and ns enter that set process fields, so
// that a bad value fails before anything is joined, with the option named.
import { capabilityNumber } from "../capabilities.ts";
import { UserError } from "../errors.ts";
import type { ParsedValue } from "./args.ts";

/** Returns the capability name that --cap VALUE adds: upper case, with the CAP_ prefix. */
export function capabilityOption(value: string): string {
  const upper = value.toUpperCase();
  return upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
}

/** Throws UserError (exit code 2) naming the first of --cwd, --env, --cap and --additional-gids with an invalid value. */
export function checkExecOptions(options: Record<string, ParsedValue>): void {
  const cwd = options.cwd as string | undefined;
  // The process starts in the container's root, so a relative path would depend on where chdir starts.
  if (cwd !== undefined && !cwd.startsWith("/")) throw new UserError(`--cwd ${cwd}: expected an absolute path`, 2);

  for (const entry of (options.env as string[] | undefined) ?? []) {
    if (entry.indexOf("=") <= 0) throw new UserError(`--env ${entry}: expected NAME=VALUE`, 2);
  }

  for (const cap of (options.cap as string[] | undefined) ?? []) {
    if (capabilityNumber(capabilityOption(cap)) === undefined) throw new UserError(`--cap ${cap}: unknown capability`, 2);
  }

  for (const gid of (options["additional-gids"] as string[] | undefined) ?? []) {
    if (!/^\d+$/.test(gid) || Number(gid) > 0xffff_fffe) {
      throw new UserError(`--additional-gids ${gid}: expected a numeric group id from 0 to 4294967294`, 2);
    }
  }
}
