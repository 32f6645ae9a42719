// The bpf(2) commands that cgroup v2 device control needs, with union bpf_attr
// laid out by hand (include/uapi/linux/bpf.h, x86_64). glibc has no bpf()
// wrapper, so each command goes through syscall(SYS_bpf).
import { ptr } from "bun:ffi";
import { close, SYS, syscall, SyscallError } from "./libc.ts";

const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_DETACH = 9;
const BPF_PROG_GET_FD_BY_ID = 13;
const BPF_OBJ_GET_INFO_BY_FD = 15;
const BPF_PROG_QUERY = 16;

export const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
export const BPF_CGROUP_DEVICE = 6;
export const BPF_F_ALLOW_MULTI = 1 << 1;
export const BPF_F_REPLACE = 1 << 2;

// Larger than the part of union bpf_attr that any command here fills in. The
// kernel accepts a shorter or longer attr as long as the bytes it does not
// know are zero.
const ATTR_SIZE = 128;

function newAttr(): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(new ArrayBuffer(ATTR_SIZE));
  return { bytes, view: new DataView(bytes.buffer) };
}

/** Copies `text` with a NUL terminator into its own ArrayBuffer, so that its address stays put. */
function cString(text: string): Uint8Array {
  const encoded = Buffer.from(text);
  const bytes = new Uint8Array(new ArrayBuffer(encoded.length + 1));
  bytes.set(encoded);
  return bytes;
}

function bpf(command: string, cmd: number, attr: Uint8Array, target: string): number {
  return syscall(`bpf(${command})`, SYS.bpf, target, cmd, ptr(attr), ATTR_SIZE);
}

export interface ProgLoadOptions {
  progType: number;
  expectedAttachType: number;
  /** Encoded instructions, 8 bytes each. */
  insns: Uint8Array;
  license: string;
  /** Up to 15 characters of [A-Za-z0-9_.], which bpftool and BPF_OBJ_GET_INFO_BY_FD show. */
  name: string;
}

/** A program that the verifier rejected, with the verifier's log. */
export class BpfVerifierError extends SyscallError {
  override name = "BpfVerifierError";
  constructor(
    errno: number,
    readonly log: string,
    options?: ErrorOptions,
  ) {
    super("bpf(BPF_PROG_LOAD)", errno, log.trim().split("\n").slice(-3).join(" | "), options);
  }
}

function progLoadOnce(options: ProgLoadOptions, log: Uint8Array | null): number {
  const { bytes, view } = newAttr();
  const license = cString(options.license);
  view.setUint32(0, options.progType, true);
  view.setUint32(4, options.insns.length / 8, true);
  view.setBigUint64(8, BigInt(ptr(options.insns)), true);
  view.setBigUint64(16, BigInt(ptr(license)), true);
  if (log !== null) {
    view.setUint32(24, 1, true); // log_level
    view.setUint32(28, log.length, true);
    view.setBigUint64(32, BigInt(ptr(log)), true);
  }
  bytes.set(Buffer.from(options.name.slice(0, 15)), 48); // prog_name[16]
  view.setUint32(68, options.expectedAttachType, true);
  return bpf("BPF_PROG_LOAD", BPF_PROG_LOAD, bytes, options.name);
}

/**
 * Loads a program and returns its fd. When the verifier rejects it, the load
 * is repeated with a log buffer so that the error carries the reason.
 */
export function progLoad(options: ProgLoadOptions): number {
  try {
    return progLoadOnce(options, null);
  } catch (error) {
    if (!(error instanceof SyscallError) || (error.code !== "EACCES" && error.code !== "EINVAL")) throw error;
    const log = new Uint8Array(new ArrayBuffer(64 * 1024));
    try {
      return progLoadOnce(options, log);
    } catch (retryError) {
      if (!(retryError instanceof SyscallError)) throw retryError;
      const end = log.indexOf(0);
      const text = Buffer.from(log.subarray(0, end < 0 ? log.length : end)).toString();
      throw new BpfVerifierError(retryError.errno, text, { cause: retryError });
    }
  }
}

/** Attaches a program to a cgroup directory fd; `replaceFd` swaps out one attached program atomically (BPF_F_REPLACE). */
export function progAttach(targetFd: number, progFd: number, attachType: number, flags: number, replaceFd = 0, target = `fd ${targetFd}`): void {
  const { bytes, view } = newAttr();
  view.setUint32(0, targetFd, true);
  view.setUint32(4, progFd, true);
  view.setUint32(8, attachType, true);
  view.setUint32(12, flags, true);
  view.setUint32(16, replaceFd, true);
  bpf("BPF_PROG_ATTACH", BPF_PROG_ATTACH, bytes, target);
}

export function progDetach(targetFd: number, progFd: number, attachType: number, target = `fd ${targetFd}`): void {
  const { bytes, view } = newAttr();
  view.setUint32(0, targetFd, true);
  view.setUint32(4, progFd, true);
  view.setUint32(8, attachType, true);
  bpf("BPF_PROG_DETACH", BPF_PROG_DETACH, bytes, target);
}

/** Returns the ids of the programs attached to the cgroup itself, not those inherited from ancestors. */
export function progQuery(targetFd: number, attachType: number, target = `fd ${targetFd}`): number[] {
  const capacity = 64;
  const ids = new Uint32Array(new ArrayBuffer(capacity * 4));
  const { bytes, view } = newAttr();
  view.setUint32(0, targetFd, true);
  view.setUint32(4, attachType, true);
  view.setBigUint64(16, BigInt(ptr(ids)), true);
  view.setUint32(24, capacity, true);
  bpf("BPF_PROG_QUERY", BPF_PROG_QUERY, bytes, target);
  const count = view.getUint32(24, true);
  return Array.from(ids.subarray(0, Math.min(count, capacity)));
}

/** Opens an fd for the program with this id. */
export function progGetFdById(id: number): number {
  const { bytes, view } = newAttr();
  view.setUint32(0, id, true);
  return bpf("BPF_PROG_GET_FD_BY_ID", BPF_PROG_GET_FD_BY_ID, bytes, `program id ${id}`);
}

/** Returns the name a program was loaded with (struct bpf_prog_info.name). */
export function progName(progFd: number): string {
  // struct bpf_prog_info up to and including name[16], which starts at byte 64.
  const info = new Uint8Array(new ArrayBuffer(80));
  const { bytes, view } = newAttr();
  view.setUint32(0, progFd, true);
  view.setUint32(4, info.length, true);
  view.setBigUint64(8, BigInt(ptr(info)), true);
  bpf("BPF_OBJ_GET_INFO_BY_FD", BPF_OBJ_GET_INFO_BY_FD, bytes, `fd ${progFd}`);
  const name = info.subarray(64, 80);
  const end = name.indexOf(0);
  return Buffer.from(name.subarray(0, end < 0 ? name.length : end)).toString();
}

export { close };
