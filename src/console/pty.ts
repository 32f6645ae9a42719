// Pseudo-terminals: allocation inside the container's devpts instance and window sizes.
import { close, ioctl, ioctlValue, O_CLOEXEC, O_NOCTTY, O_RDWR, open } from "../ffi/libc.ts";

const TIOCSPTLCK = 0x40045431;
const TIOCGPTN = 0x80045430;
const TIOCGPTPEER = 0x5441;
export const TIOCGWINSZ = 0x5413;
export const TIOCSWINSZ = 0x5414;

export interface Pty {
  master: number;
  peer: number;
  /** /dev/pts/N as the container sees it. */
  path: string;
}

/**
 * Opens a new pty on the devpts instance behind ptmxPath. The peer is opened
 * from the master (TIOCGPTPEER), so no path lookup can be raced to a
 * different device.
 */
export function openPty(ptmxPath = "/dev/ptmx"): Pty {
  const master = open(ptmxPath, O_RDWR | O_NOCTTY | O_CLOEXEC);
  try {
    const zero = new Int32Array(new ArrayBuffer(4));
    ioctl(master, TIOCSPTLCK, zero, "ioctl(TIOCSPTLCK)");
    const index = new Int32Array(new ArrayBuffer(4));
    ioctl(master, TIOCGPTN, index, "ioctl(TIOCGPTN)");
    const peer = ioctlValue(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC, "ioctl(TIOCGPTPEER)");
    return { master, peer, path: `/dev/pts/${index[0]}` };
  } catch (e) {
    close(master);
    throw e;
  }
}

/** Reads the window size of a terminal: [rows, columns], or undefined if fd is not one. */
export function getWindowSize(fd: number): [number, number] | undefined {
  const ws = new Uint16Array(new ArrayBuffer(8));
  try {
    ioctl(fd, TIOCGWINSZ, ws, "ioctl(TIOCGWINSZ)");
  } catch {
    return undefined;
  }
  return [ws[0]!, ws[1]!];
}

export function setWindowSize(fd: number, rows: number, columns: number): void {
  const ws = new Uint16Array(new ArrayBuffer(8));
  ws[0] = rows;
  ws[1] = columns;
  ioctl(fd, TIOCSWINSZ, ws, "ioctl(TIOCSWINSZ)");
}
