// An AF_NETLINK/NETLINK_ROUTE socket that sends one request at a time and
// collects the replies up to an acknowledgement (NLMSG_ERROR with error 0)
// or, for a dump, NLMSG_DONE. A kernel error comes back as a
// NetlinkError naming the request, the errno and the target.
import { close, SyscallError } from "../ffi/libc.ts";
import {
  AF_NETLINK,
  bindNetlink,
  NETLINK_EXT_ACK,
  NETLINK_ROUTE,
  recvDatagram,
  sendToKernel,
  setReceiveTimeout,
  setsockoptInt,
  SOCK_CLOEXEC,
  SOCK_RAW,
  socket,
  SOL_NETLINK,
} from "../ffi/netlink.ts";
import { decodeDonePayload, decodeErrorPayload, decodeMessages, encodeRequest, type NetlinkMessage, type Request } from "./message.ts";
import { constants } from "node:os";
import { messageTypeName, NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN } from "./constants.ts";
import { inNetworkNamespace } from "./netns.ts";

/** A request that the kernel rejected: the request type, its errno and its target. */
export class NetlinkError extends SyscallError {
  override name = "NetlinkError";
  constructor(
    /** The request type, such as RTM_NEWLINK. */
    readonly request: number,
    errno: number,
    target: string | undefined,
    /** The kernel's extended acknowledgement text, such as "Unknown device type". */
    readonly extack?: string,
  ) {
    super(messageTypeName(request), errno, target);
    if (extack) this.message += `: ${extack}`;
  }
}

/** How long a receive waits for the kernel before failing with EAGAIN. */
const RECEIVE_TIMEOUT_MS = 10_000;

/** How many times a dump is restarted when the kernel marks it NLM_F_DUMP_INTR. */
const DUMP_ATTEMPTS = 8;

/** Large enough for any datagram the kernel sends on a dump (it caps them near 32 KiB). */
const RECEIVE_BUFFER_SIZE = 64 * 1024;

export class NetlinkSocket {
  private seq = 0;
  private readonly buf = new Uint8Array(new ArrayBuffer(RECEIVE_BUFFER_SIZE));

  private constructor(
    readonly fd: number,
    /** The port id that the kernel bound the socket to. */
    readonly portId: number,
  ) {}

  /**
   * Opens a routing socket in the calling thread's network namespace, or in
   * the one at netns (such as /proc/PID/ns/net or /run/netns/NAME).
   */
  static open(netns?: string): NetlinkSocket {
    if (netns !== undefined) return inNetworkNamespace(netns, () => NetlinkSocket.open());

    const fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    try {
      setReceiveTimeout(fd, RECEIVE_TIMEOUT_MS);
      setsockoptInt(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1, "NETLINK_EXT_ACK");
      const portId = bindNetlink(fd);
      return new NetlinkSocket(fd, portId);
    } catch (e) {
      close(fd);
      throw e;
    }
  }

  close(): void {
    close(this.fd);
  }

  /**
   * Sends a request and returns its replies. A dump (NLM_F_DUMP) runs to
   * NLMSG_DONE, and restarts if the kernel marks it interrupted. Any other
   * request is sent with NLM_F_ACK and returns the replies that come before
   * its acknowledgement, which are none for most NEW and DEL requests.
   */
  request(request: Request): NetlinkMessage[] {
    const isDump = (request.flags & NLM_F_DUMP) === NLM_F_DUMP;
    const flags = request.flags | NLM_F_REQUEST | (isDump ? 0 : NLM_F_ACK);
    for (let attempt = 1; ; attempt++) {
      const { messages, interrupted } = this.exchange({ ...request, flags });
      if (!interrupted) return messages;
      // The set changed while the kernel walked it; a later walk gives a consistent one.
      if (attempt === DUMP_ATTEMPTS) {
        throw new NetlinkError(request.type, constants.errno.EINTR, request.target, `dump interrupted ${DUMP_ATTEMPTS} times in a row`);
      }
    }
  }

  private exchange(request: Request): { messages: NetlinkMessage[]; interrupted: boolean } {
    const { type, target } = request;
    this.seq = (this.seq + 1) >>> 0;
    const seq = this.seq;
    const label = `${messageTypeName(type)}${target === undefined ? "" : ` ${target}`}`;
    sendToKernel(this.fd, encodeRequest(request, seq), label);

    const messages: NetlinkMessage[] = [];
    let interrupted = false;
    for (;;) {
      const length = this.receive(label);
      for (const m of decodeMessages(this.buf.subarray(0, length))) {
        // A reply to an earlier request that was abandoned after an error.
        if (m.seq !== seq) continue;
        if (m.flags & NLM_F_DUMP_INTR) interrupted = true;

        if (m.type === NLMSG_ERROR) {
          const e = decodeErrorPayload(m);
          if (e.errno !== 0) throw new NetlinkError(type, e.errno, target, e.message);
          return { messages, interrupted };
        }
        if (m.type === NLMSG_DONE) {
          const e = decodeDonePayload(m);
          if (e.errno !== 0) throw new NetlinkError(type, e.errno, target, e.message);
          return { messages, interrupted };
        }
        if (m.type === NLMSG_NOOP) continue;
        if (m.type === NLMSG_OVERRUN) throw new NetlinkError(type, constants.errno.ENOBUFS, target, "receive buffer overrun");

        // The receive buffer is reused, so keep a copy of the payload.
        messages.push({ ...m, payload: m.payload.slice() });
      }
    }
  }

  private receive(label: string): number {
    try {
      const length = recvDatagram(this.fd, this.buf, label);
      if (length > this.buf.length) throw new SyscallError("recvfrom", constants.errno.EMSGSIZE, `${label}: reply of ${length} bytes`);
      return length;
    } catch (e) {
      if (e instanceof SyscallError && e.errno === constants.errno.EAGAIN) {
        throw new SyscallError("recvfrom", e.errno, `${label}: no reply within ${RECEIVE_TIMEOUT_MS / 1000} s`);
      }
      throw e;
    }
  }
}
