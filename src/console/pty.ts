// Pseudo-terminals: allocation inside the container's devpts instance,
// window sizes, and the few ioctls the relay needs on the master.
import { readFileSync } from "node:fs";
import { close, fchown, ioctl, ioctlValue, O_CLOEXEC, O_NOCTTY, O_RDWR, open, tcgetattr } from "../ffi/libc.ts";
import { hostIdOf } from "../launcher/idmap.ts";

const TIOCSPTLCK = 0x40045431;
const TIOCGPTN = 0x80045430;
const TIOCGPTPEER = 0x5441;
const TCXONC = 0x540a;
const TCOON = 1;
export const TIOCGWINSZ = 0x5413;
export const TIOCSWINSZ = 0x5414;

/** Offset of c_cc in glibc's struct termios (x86_64), and the index of VEOF in it. */
const C_CC = 17;
const VEOF = 4;

export interface Pty {
  master: number;
  peer: number;
  /** The peer's path inside the container, /dev/pts/N. */
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
    const peer = openPeer(master, O_RDWR | O_NOCTTY | O_CLOEXEC);
    return { master, peer, path: `/dev/pts/${index[0]}` };
  } catch (e) {
    close(master);
    throw e;
  }
}

/** Opens another fd on the peer of master, with the given open flags. */
export function openPeer(master: number, flags: number): number {
  return ioctlValue(master, TIOCGPTPEER, flags, "ioctl(TIOCGPTPEER)");
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

/** Sets the window size of a terminal; on a pty master the kernel sends SIGWINCH to the peer's foreground process group. */
export function setWindowSize(fd: number, rows: number, columns: number): void {
  const ws = new Uint16Array(new ArrayBuffer(8));
  ws[0] = rows;
  ws[1] = columns;
  ioctl(fd, TIOCSWINSZ, ws, "ioctl(TIOCSWINSZ)");
}

/** Restarts output stopped by a flow-control character (^S), as tcflow(TCOON) does. */
export function restartOutput(fd: number): void {
  ioctlValue(fd, TCXONC, TCOON, "ioctl(TCXONC)");
}

/**
 * Returns the end-of-file character (VEOF, ^D by default) of the peer's line
 * discipline. TCGETS on a pty master reads the peer's settings.
 */
export function eofCharacter(master: number): number {
  try {
    return tcgetattr(master)[C_CC + VEOF]!;
  } catch {
    return 4;
  }
}

/**
 * Gives the peer to the container user uid, as the owner a login would give
 * it; the group stays the one devpts assigned (its gid= option, tty by
 * convention), so the mode keeps its meaning. pid is a process in the
 * container's user namespace: uid is mapped to the host through its
 * uid_map, since the caller runs outside it.
 */
export function chownPeerFromHost(peer: number, pid: number, uid: number): void {
  const maps = readFileSync(`/proc/${pid}/uid_map`, "utf8")
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter((fields) => fields.length === 3 && fields.every(Number.isInteger))
    .map(([containerID, hostID, size]) => ({ containerID: containerID!, hostID: hostID!, size: size! }));
  fchown(peer, hostIdOf(maps, uid), -1);
}
