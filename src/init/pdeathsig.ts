// The parent-death signal around credential changes.
import { getppid, kill, prctl, ptr } from "../ffi/libc.ts";

const PR_SET_PDEATHSIG = 1;
const PR_GET_PDEATHSIG = 2;

/** The parent-death signal of the calling thread, or 0. */
export function parentDeathSignal(): number {
  const out = new Int32Array(new ArrayBuffer(4));
  prctl(PR_GET_PDEATHSIG, BigInt(ptr(out) as unknown as number));
  return out[0]!;
}

/**
 * Sets the parent-death signal again (the kernel clears it when credentials
 * change) and, if the parent has already died, delivers it at once: a
 * signal set after the parent's death is never sent. Inside a pid namespace
 * the parent lives outside it and getppid() is 0, so only a parent that
 * died and left us to the namespace's reaper (ppid 1 outside one) counts.
 */
export function restoreParentDeathSignal(signal: number, originalParent: number): void {
  if (signal === 0) return;
  prctl(PR_SET_PDEATHSIG, BigInt(signal));
  const parent = getppid();
  if (parent !== originalParent && parent !== 0) kill(process.pid, signal);
}
