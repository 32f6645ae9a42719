// Waiting for a child without blocking the event loop: a C thread blocks in
// waitpid(pid) and writes {pid, status} to a pipe this side reads.
import { close, O_CLOEXEC, pipe2 } from "../ffi/libc.ts";
import { watchChild } from "../ffi/trampoline.ts";

/** Resolves with the wait status of pid, which must be a child of this process. */
export async function waitForExit(pid: number): Promise<number> {
  const [readEnd, writeEnd] = pipe2(O_CLOEXEC);
  watchChild(pid, writeEnd);
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = Bun.file(readEnd).stream().getReader();
  try {
    while (length < 8) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.length;
    }
  } finally {
    reader.releaseLock();
    close(readEnd);
    close(writeEnd);
  }
  const data = Buffer.concat(chunks);
  if (data.length < 8) throw new Error(`waitpid ${pid}: no status`);
  return data.readInt32LE(4);
}
