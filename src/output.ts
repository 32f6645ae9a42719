// Writing command output. Bun's first process.stdout/stderr write costs about
// 5 ms (bench/, this machine), a plain write(2) a few microseconds.
import { writeSync } from "node:fs";

/** Writes text to fd in full, waiting out EAGAIN when the fd is non-blocking. */
export function writeFd(fd: number, text: string): void {
  const data = Buffer.from(text);
  let done = 0;
  while (done < data.length) {
    try {
      done += writeSync(fd, data, done);
    } catch (e) {
      if ((e as { code?: string }).code !== "EAGAIN") throw e;
      Bun.sleepSync(1);
    }
  }
}

export function writeStdout(text: string): void {
  writeFd(1, text);
}

export function writeStderr(text: string): void {
  writeFd(2, text);
}
