// getrlimit(2) through prlimit64(2) on the calling process.
import { ptr } from "bun:ffi";
import { SYS, syscall } from "./libc.ts";

/** Returns the soft and hard limits of this process for an RLIMIT_* number; RLIM_INFINITY reads as 2^64-1. */
export function getRlimit(resource: number): { soft: bigint; hard: bigint } {
  const limits = new BigUint64Array(new ArrayBuffer(16));
  syscall("prlimit64", SYS.prlimit64, `resource ${resource}`, 0, resource, null, ptr(limits));
  return { soft: limits[0]!, hard: limits[1]! };
}
