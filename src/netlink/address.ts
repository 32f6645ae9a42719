// IPv4 and IPv6 addresses of links over rtnetlink (RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR).
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_F_NODAD,
  IFA_FLAGS,
  IFA_LABEL,
  IFA_LOCAL,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  RT_SCOPE_UNIVERSE,
  RTM_DELADDR,
  RTM_GETADDR,
  RTM_NEWADDR,
} from "./constants.ts";
import { broadcastOf, formatIp, formatPrefix, type IpPrefix, parsePrefix } from "./ip.ts";
import type { LinkRef } from "./link.ts";
import { attr, type Attribute, attributeMap, decodeIfAddrMsg, encodeIfAddrMsg, IFADDRMSG_SIZE, type NetlinkMessage, readString, readU32, type Request } from "./message.ts";
import type { NetlinkSocket } from "./socket.ts";

/** An address of a link as RTM_NEWADDR describes it. */
export interface Address {
  /** Index of the link the address is on. */
  index: number;
  family: number;
  address: string;
  prefixLength: number;
  /** "ADDRESS/LENGTH", as users write it. */
  cidr: string;
  /** RT_SCOPE_*: 0 global, 253 link, 254 host. */
  scope: number;
  /** IFA_F_* flags, from the 32-bit IFA_FLAGS when the kernel sends it, since the 8-bit ifa_flags lacks the higher ones. */
  flags: number;
  label?: string;
}

/** Accepts a prefix as text ("192.0.2.10/24") or parsed; throws a RangeError on invalid text. */
function toPrefix(prefix: string | IpPrefix): IpPrefix {
  if (typeof prefix !== "string") return prefix;
  const parsed = parsePrefix(prefix);
  if (!parsed) throw new RangeError(`invalid address "${prefix}": expected ADDRESS/LENGTH such as 192.0.2.10/24`);
  return parsed;
}

function addressAttributes(p: IpPrefix): Attribute[] {
  // On a link that is not point-to-point IFA_LOCAL and IFA_ADDRESS are the same address.
  return [attr.bytes(IFA_LOCAL, p.bytes), attr.bytes(IFA_ADDRESS, p.bytes)];
}

/**
 * Builds an RTM_NEWADDR request. An IPv4 address gets the broadcast address
 * of its subnet, as `ip addr add ... brd +` does. An IPv6 address skips
 * duplicate address detection (IFA_F_NODAD), so that it is usable at once.
 */
export function addAddressRequest(link: LinkRef, prefix: string | IpPrefix): Request {
  const p = toPrefix(prefix);
  const flags = p.family === AF_INET6 ? IFA_F_NODAD : 0;
  const attributes = addressAttributes(p);
  if (p.family === AF_INET && p.prefixLength < 31) attributes.push(attr.bytes(IFA_BROADCAST, broadcastOf(p)));
  return {
    type: RTM_NEWADDR,
    flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
    header: encodeIfAddrMsg({ family: p.family, prefixLength: p.prefixLength, flags, scope: RT_SCOPE_UNIVERSE, index: link.index }),
    attributes,
    target: `${formatPrefix(p)} on ${link.name}`,
  };
}

export function deleteAddressRequest(link: LinkRef, prefix: string | IpPrefix): Request {
  const p = toPrefix(prefix);
  return {
    type: RTM_DELADDR,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    header: encodeIfAddrMsg({ family: p.family, prefixLength: p.prefixLength, index: link.index }),
    attributes: addressAttributes(p),
    target: `${formatPrefix(p)} on ${link.name}`,
  };
}

export function listAddressesRequest(family = AF_UNSPEC): Request {
  return { type: RTM_GETADDR, flags: NLM_F_REQUEST | NLM_F_DUMP, header: encodeIfAddrMsg({ family }), attributes: [] };
}

export function addAddress(sock: NetlinkSocket, link: LinkRef, prefix: string | IpPrefix): void {
  sock.request(addAddressRequest(link, prefix));
}

export function deleteAddress(sock: NetlinkSocket, link: LinkRef, prefix: string | IpPrefix): void {
  sock.request(deleteAddressRequest(link, prefix));
}

/** Decodes an RTM_NEWADDR message (a reply to RTM_GETADDR). */
export function decodeAddress(m: NetlinkMessage): Address {
  const info = decodeIfAddrMsg(m.payload);
  const attrs = attributeMap(m.payload.subarray(IFADDRMSG_SIZE));
  // IFA_ADDRESS is the peer on a point-to-point link; IFA_LOCAL is the link's own, when present.
  const bytes = attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS) ?? new Uint8Array(info.family === AF_INET6 ? 16 : 4);
  const address = formatIp(bytes);
  const flagsAttr = attrs.get(IFA_FLAGS);
  const label = attrs.get(IFA_LABEL);
  const result: Address = {
    index: info.index,
    family: info.family,
    address,
    prefixLength: info.prefixLength,
    cidr: `${address}/${info.prefixLength}`,
    scope: info.scope,
    flags: flagsAttr ? readU32(flagsAttr) : info.flags,
  };
  if (label) result.label = readString(label);
  return result;
}

/** Lists addresses, optionally those of one link or one family (AF_INET or AF_INET6). */
export function listAddresses(sock: NetlinkSocket, filter: { index?: number; family?: number } = {}): Address[] {
  return sock
    .request(listAddressesRequest(filter.family))
    .filter((m) => m.type === RTM_NEWADDR)
    .map(decodeAddress)
    .filter((a) => (filter.index === undefined || a.index === filter.index) && (filter.family === undefined || a.family === filter.family));
}
