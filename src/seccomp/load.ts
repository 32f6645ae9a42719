// A compiled seccomp filter in the form the init stage hands to ns_exec. Kept
// apart from the compiler so that the init stage does not load the compiler
// and its syscall tables.
import { ptr } from "bun:ffi";

/**
 * A filter laid out for ExecSpec.seccomp. prog and filter are views of one
 * buffer, so keeping prog alive (the trampoline's arena does) keeps the
 * memory that prog points to alive as well.
 */
export interface LoadableFilter {
  /** struct sock_fprog: unsigned short len, then (after padding) the filter pointer. */
  prog: BigUint64Array;
  flags: number;
  /** The struct sock_filter array. */
  filter: Uint8Array;
}

/** A compiled filter as it travels to the init stage: the struct sock_filter array, base64, and the flags. */
export interface EncodedFilter {
  filter: string;
  flags: number;
}

const SOCK_FPROG_SIZE = 16;

/** Lays an encoded filter out as the struct sock_fprog that seccomp(2) reads. */
export function loadableFilter(encoded: EncodedFilter): LoadableFilter {
  const bytes = Buffer.from(encoded.filter, "base64");
  const buffer = new ArrayBuffer(SOCK_FPROG_SIZE + bytes.byteLength);
  const prog = new BigUint64Array(buffer, 0, 2);
  const filter = new Uint8Array(buffer, SOCK_FPROG_SIZE, bytes.byteLength);
  filter.set(bytes);
  prog[0] = BigInt(bytes.byteLength / 8);
  prog[1] = BigInt(ptr(filter) as unknown as number);
  return { prog, flags: encoded.flags, filter };
}

