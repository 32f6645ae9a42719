// Encoding and decoding of netlink messages and their attributes, in host
// byte order (little-endian on x86_64 and aarch64, the targets of ns).
// A message is a 16-byte nlmsghdr, a fixed family header (ifinfomsg,
// ifaddrmsg, rtmsg) and a list of attributes; every part is padded to 4 bytes.
import { endianness } from "node:os";
import { NLA_F_NESTED, NLA_TYPE_MASK, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS } from "./constants.ts";

const LE = endianness() === "LE";

export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;
export const IFINFOMSG_SIZE = 16;
export const IFADDRMSG_SIZE = 8;
export const RTMSG_SIZE = 12;

/** Rounds a length up to the 4-byte alignment of netlink messages and attributes. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * One attribute to encode: a value, or nested attributes. A nested attribute
 * may start with a fixed header, as VETH_INFO_PEER starts with an ifinfomsg.
 */
export type Attribute =
  | { type: number; value: Uint8Array }
  | { type: number; nested: readonly Attribute[]; header?: Uint8Array };

/** Builders for attributes of the usual value types. */
export const attr = {
  bytes(type: number, value: Uint8Array): Attribute {
    return { type, value };
  },
  u8(type: number, value: number): Attribute {
    return { type, value: Uint8Array.of(value) };
  },
  u16(type: number, value: number): Attribute {
    const b = new Uint8Array(2);
    viewOf(b).setUint16(0, value, LE);
    return { type, value: b };
  },
  u32(type: number, value: number): Attribute {
    const b = new Uint8Array(4);
    viewOf(b).setUint32(0, value >>> 0, LE);
    return { type, value: b };
  },
  /** Builds a NUL-terminated string attribute, as the kernel expects for names and kinds. */
  string(type: number, value: string): Attribute {
    const text = new TextEncoder().encode(value);
    const b = new Uint8Array(text.length + 1);
    b.set(text);
    return { type, value: b };
  },
  /** Builds a nested attribute. Its type gets NLA_F_NESTED, as iproute2 sends it. */
  nested(type: number, children: readonly Attribute[], header?: Uint8Array): Attribute {
    return header === undefined ? { type: type | NLA_F_NESTED, nested: children } : { type: type | NLA_F_NESTED, nested: children, header };
  },
};

function encodedSize(a: Attribute): number {
  if ("value" in a) return NLA_HDRLEN + a.value.length;
  let size = NLA_HDRLEN + align4(a.header?.length ?? 0);
  for (const child of a.nested) size += align4(encodedSize(child));
  return size;
}

function writeAttribute(out: Uint8Array, offset: number, a: Attribute): number {
  const size = encodedSize(a);
  if (size > 0xffff) throw new RangeError(`netlink attribute ${a.type & NLA_TYPE_MASK} is ${size} bytes, over the 65535-byte maximum of nla_len`);
  const view = viewOf(out);
  view.setUint16(offset, size, LE);
  view.setUint16(offset + 2, a.type, LE);
  let at = offset + NLA_HDRLEN;
  if ("value" in a) {
    out.set(a.value, at);
  } else {
    if (a.header) {
      out.set(a.header, at);
      at += align4(a.header.length);
    }
    for (const child of a.nested) at = writeAttribute(out, at, child);
  }
  return offset + align4(size);
}

/** Encodes attributes one after another, each padded to 4 bytes. */
export function encodeAttributes(list: readonly Attribute[]): Uint8Array {
  let size = 0;
  for (const a of list) size += align4(encodedSize(a));
  const out = new Uint8Array(size);
  let at = 0;
  for (const a of list) at = writeAttribute(out, at, a);
  return out;
}

/** The fields of struct nlmsghdr that a sender chooses. */
export interface MessageHeader {
  type: number;
  flags: number;
  seq: number;
  /** The sender's port id; 0 lets the kernel fill it in. */
  pid?: number;
}

/** Encodes one message: nlmsghdr, the family header, then the attributes. */
export function encodeMessage(header: MessageHeader, familyHeader: Uint8Array, attributes: readonly Attribute[] = []): Uint8Array {
  const attrs = encodeAttributes(attributes);
  const bodyOffset = NLMSG_HDRLEN;
  const attrsOffset = bodyOffset + align4(familyHeader.length);
  const length = attrsOffset + attrs.length;
  const out = new Uint8Array(new ArrayBuffer(length));
  const view = viewOf(out);
  view.setUint32(0, length, LE);
  view.setUint16(4, header.type, LE);
  view.setUint16(6, header.flags, LE);
  view.setUint32(8, header.seq >>> 0, LE);
  view.setUint32(12, header.pid ?? 0, LE);
  out.set(familyHeader, bodyOffset);
  out.set(attrs, attrsOffset);
  return out;
}

/** A request as a value: what to send, and the target that errors name. */
export interface Request {
  type: number;
  /** nlmsg_flags, including NLM_F_REQUEST and NLM_F_ACK or NLM_F_DUMP. */
  flags: number;
  /** The family header: ifinfomsg, ifaddrmsg or rtmsg. */
  header: Uint8Array;
  attributes: readonly Attribute[];
  /** Target of the request, such as a link name, for error messages. */
  target?: string;
}

/** Encodes a request with a sequence number. */
export function encodeRequest(request: Request, seq: number): Uint8Array {
  return encodeMessage({ type: request.type, flags: request.flags, seq }, request.header, request.attributes);
}

/** One received message; payload is everything after the nlmsghdr. */
export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Uint8Array;
}

/** Splits a datagram into its messages. Throws on a length that runs past the datagram. */
export function decodeMessages(buf: Uint8Array): NetlinkMessage[] {
  const view = viewOf(buf);
  const messages: NetlinkMessage[] = [];
  let at = 0;
  while (at + NLMSG_HDRLEN <= buf.length) {
    const length = view.getUint32(at, LE);
    if (length < NLMSG_HDRLEN || at + length > buf.length) {
      throw new RangeError(`malformed netlink message at byte ${at}: nlmsg_len ${length} in a datagram of ${buf.length} bytes`);
    }
    messages.push({
      type: view.getUint16(at + 4, LE),
      flags: view.getUint16(at + 6, LE),
      seq: view.getUint32(at + 8, LE),
      pid: view.getUint32(at + 12, LE),
      payload: buf.subarray(at + NLMSG_HDRLEN, at + length),
    });
    at += align4(length);
  }
  return messages;
}

/** One decoded attribute; type has the NLA_F_* bits removed. */
export interface ParsedAttribute {
  type: number;
  nested: boolean;
  value: Uint8Array;
}

/** Splits a run of attributes. A truncated last attribute is an error, not silently dropped. */
export function decodeAttributes(buf: Uint8Array): ParsedAttribute[] {
  const view = viewOf(buf);
  const list: ParsedAttribute[] = [];
  let at = 0;
  while (at + NLA_HDRLEN <= buf.length) {
    const length = view.getUint16(at, LE);
    const rawType = view.getUint16(at + 2, LE);
    if (length < NLA_HDRLEN || at + length > buf.length) {
      throw new RangeError(`malformed netlink attribute at byte ${at}: nla_len ${length} in ${buf.length} bytes`);
    }
    list.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      value: buf.subarray(at + NLA_HDRLEN, at + length),
    });
    at += align4(length);
  }
  return list;
}

/** Attributes by type; when a type repeats, the last one wins. */
export function attributeMap(buf: Uint8Array): Map<number, Uint8Array> {
  const map = new Map<number, Uint8Array>();
  for (const a of decodeAttributes(buf)) map.set(a.type, a.value);
  return map;
}

export function readU8(value: Uint8Array): number {
  if (value.length < 1) throw new RangeError("netlink attribute too short for a u8");
  return value[0]!;
}

export function readU32(value: Uint8Array): number {
  if (value.length < 4) throw new RangeError(`netlink attribute of ${value.length} bytes is too short for a u32`);
  return viewOf(value).getUint32(0, LE);
}

/** Reads a u64 as a number; counters stay exact up to 2^53. */
export function readU64(value: Uint8Array, offset = 0): number {
  if (value.length < offset + 8) throw new RangeError(`netlink attribute of ${value.length} bytes is too short for a u64 at byte ${offset}`);
  return Number(viewOf(value).getBigUint64(offset, LE));
}

/** Reads a string attribute, dropping the NUL terminator and anything after it. */
export function readString(value: Uint8Array): string {
  const nul = value.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? value : value.subarray(0, nul));
}

// Family headers.

/** struct ifinfomsg, the header of RTM_*LINK messages. */
export interface IfInfoMsg {
  family: number;
  /** ARPHRD_* device type; 0 in requests. */
  type: number;
  index: number;
  flags: number;
  /** Mask of the flag bits that the request changes. */
  change: number;
}

export function encodeIfInfoMsg(m: Partial<IfInfoMsg> = {}): Uint8Array {
  const b = new Uint8Array(IFINFOMSG_SIZE);
  const view = viewOf(b);
  view.setUint8(0, m.family ?? 0);
  view.setUint16(2, m.type ?? 0, LE);
  view.setInt32(4, m.index ?? 0, LE);
  view.setUint32(8, (m.flags ?? 0) >>> 0, LE);
  view.setUint32(12, (m.change ?? 0) >>> 0, LE);
  return b;
}

export function decodeIfInfoMsg(payload: Uint8Array): IfInfoMsg {
  if (payload.length < IFINFOMSG_SIZE) throw new RangeError(`ifinfomsg of ${payload.length} bytes, expected ${IFINFOMSG_SIZE}`);
  const view = viewOf(payload);
  return {
    family: view.getUint8(0),
    type: view.getUint16(2, LE),
    index: view.getInt32(4, LE),
    flags: view.getUint32(8, LE),
    change: view.getUint32(12, LE),
  };
}

/** struct ifaddrmsg, the header of RTM_*ADDR messages. */
export interface IfAddrMsg {
  family: number;
  prefixLength: number;
  flags: number;
  scope: number;
  index: number;
}

export function encodeIfAddrMsg(m: Partial<IfAddrMsg> = {}): Uint8Array {
  const b = new Uint8Array(IFADDRMSG_SIZE);
  const view = viewOf(b);
  view.setUint8(0, m.family ?? 0);
  view.setUint8(1, m.prefixLength ?? 0);
  view.setUint8(2, m.flags ?? 0);
  view.setUint8(3, m.scope ?? 0);
  view.setUint32(4, m.index ?? 0, LE);
  return b;
}

export function decodeIfAddrMsg(payload: Uint8Array): IfAddrMsg {
  if (payload.length < IFADDRMSG_SIZE) throw new RangeError(`ifaddrmsg of ${payload.length} bytes, expected ${IFADDRMSG_SIZE}`);
  const view = viewOf(payload);
  return {
    family: view.getUint8(0),
    prefixLength: view.getUint8(1),
    flags: view.getUint8(2),
    scope: view.getUint8(3),
    index: view.getUint32(4, LE),
  };
}

/** struct rtmsg, the header of RTM_*ROUTE messages. */
export interface RtMsg {
  family: number;
  dstLength: number;
  srcLength: number;
  tos: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags: number;
}

export function encodeRtMsg(m: Partial<RtMsg> = {}): Uint8Array {
  const b = new Uint8Array(RTMSG_SIZE);
  const view = viewOf(b);
  view.setUint8(0, m.family ?? 0);
  view.setUint8(1, m.dstLength ?? 0);
  view.setUint8(2, m.srcLength ?? 0);
  view.setUint8(3, m.tos ?? 0);
  view.setUint8(4, m.table ?? 0);
  view.setUint8(5, m.protocol ?? 0);
  view.setUint8(6, m.scope ?? 0);
  view.setUint8(7, m.type ?? 0);
  view.setUint32(8, m.flags ?? 0, LE);
  return b;
}

export function decodeRtMsg(payload: Uint8Array): RtMsg {
  if (payload.length < RTMSG_SIZE) throw new RangeError(`rtmsg of ${payload.length} bytes, expected ${RTMSG_SIZE}`);
  const view = viewOf(payload);
  return {
    family: view.getUint8(0),
    dstLength: view.getUint8(1),
    srcLength: view.getUint8(2),
    tos: view.getUint8(3),
    table: view.getUint8(4),
    protocol: view.getUint8(5),
    scope: view.getUint8(6),
    type: view.getUint8(7),
    flags: view.getUint32(8, LE),
  };
}

/** The payload of an NLMSG_ERROR message: an acknowledgement when errno is 0. */
export interface ErrorPayload {
  /** A positive errno, or 0 for an acknowledgement. */
  errno: number;
  /** nlmsg_seq of the request that this acknowledges or rejects. */
  seq: number;
  /** NLMSGERR_ATTR_MSG: the kernel's extended acknowledgement text, if it sent one. */
  message?: string;
  /** NLMSGERR_ATTR_OFFS: byte offset in the request of the attribute that was rejected. */
  offset?: number;
}

/**
 * Decodes struct nlmsgerr: a negative errno, then the request's nlmsghdr
 * (followed by the whole request unless NLM_F_CAPPED), then extended
 * acknowledgement attributes if NLM_F_ACK_TLVS is set.
 */
export function decodeErrorPayload(message: NetlinkMessage): ErrorPayload {
  const p = message.payload;
  if (p.length < 4 + NLMSG_HDRLEN) throw new RangeError(`NLMSG_ERROR payload of ${p.length} bytes, expected at least ${4 + NLMSG_HDRLEN}`);
  const view = viewOf(p);
  const error = view.getInt32(0, LE);
  const requestLength = view.getUint32(4, LE);
  const result: ErrorPayload = { errno: error === 0 ? 0 : -error, seq: view.getUint32(12, LE) };
  if (message.flags & NLM_F_ACK_TLVS) {
    const echoed = message.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : align4(requestLength);
    const tlvs = p.subarray(Math.min(p.length, 4 + echoed));
    for (const a of decodeAttributes(tlvs)) {
      if (a.type === NLMSGERR_ATTR_MSG) result.message = readString(a.value);
      if (a.type === NLMSGERR_ATTR_OFFS) result.offset = readU32(a.value);
    }
  }
  return result;
}

/**
 * Decodes the payload of NLMSG_DONE, which ends a dump: an int that is 0 or
 * a negative errno, then extended acknowledgement attributes if
 * NLM_F_ACK_TLVS is set. Older kernels may send an empty payload.
 */
export function decodeDonePayload(message: NetlinkMessage): ErrorPayload {
  const p = message.payload;
  const error = p.length >= 4 ? viewOf(p).getInt32(0, LE) : 0;
  const result: ErrorPayload = { errno: error === 0 ? 0 : -error, seq: message.seq };
  if (message.flags & NLM_F_ACK_TLVS && p.length > 4) {
    for (const a of decodeAttributes(p.subarray(4))) {
      if (a.type === NLMSGERR_ATTR_MSG) result.message = readString(a.value);
      if (a.type === NLMSGERR_ATTR_OFFS) result.offset = readU32(a.value);
    }
  }
  return result;
}
