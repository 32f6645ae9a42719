// Parsing and formatting of IPv4/IPv6 addresses, prefixes and MAC addresses,
// between the text that users write and the bytes that netlink carries.
import { AF_INET, AF_INET6 } from "./constants.ts";

/** An IP address in network byte order, with its family (AF_INET or AF_INET6). */
export interface IpAddress {
  family: typeof AF_INET | typeof AF_INET6;
  bytes: Uint8Array;
}

/** An address with a prefix length, as in "192.0.2.10/24". */
export interface IpPrefix extends IpAddress {
  prefixLength: number;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    // Leading zeros are rejected: inet_aton would read them as octal.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;

  const groupsOf = (part: string): number[] | undefined => {
    if (part === "") return [];
    const groups: number[] = [];
    const fields = part.split(":");
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      if (i === fields.length - 1 && field.includes(".")) {
        const v4 = parseIpv4(field);
        if (!v4) return undefined;
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(field)) return undefined;
        groups.push(parseInt(field, 16));
      }
    }
    return groups;
  };

  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;

  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** Parses an IPv4 or IPv6 address; returns undefined when text is neither. */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4) return { family: AF_INET, bytes: v4 };
  const v6 = parseIpv6(text);
  if (v6) return { family: AF_INET6, bytes: v6 };
  return undefined;
}

/** Parses "ADDRESS/LENGTH"; returns undefined when either part is invalid or the length is missing. */
export function parsePrefix(text: string): IpPrefix | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  if (!ip || !/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) return undefined;
  const prefixLength = Number(lengthText);
  if (prefixLength > ip.bytes.length * 8) return undefined;
  return { ...ip, prefixLength };
}

function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);

  // RFC 5952: the longest run of two or more zero groups becomes "::", the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }

  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLength).join(":");
  return `${head}::${tail}`;
}

/** Formats address bytes: dotted quad for 4 bytes, RFC 5952 text for 16. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length === 16) return formatIpv6(bytes);
  throw new RangeError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
}

export function formatPrefix(p: { bytes: Uint8Array; prefixLength: number }): string {
  return `${formatIp(p.bytes)}/${p.prefixLength}`;
}

/** Returns the network part of a prefix: the address with the host bits cleared. */
export function networkOf(p: IpPrefix): Uint8Array {
  const out = new Uint8Array(p.bytes);
  for (let bit = p.prefixLength; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return out;
}

/** Returns the IPv4 broadcast address of a prefix: the address with the host bits set. */
export function broadcastOf(p: IpPrefix): Uint8Array {
  const out = new Uint8Array(p.bytes);
  for (let bit = p.prefixLength; bit < out.length * 8; bit++) out[bit >> 3]! |= 0x80 >> (bit & 7);
  return out;
}

/** Checks whether address lies inside prefix (same family, same network bits). */
export function prefixContains(prefix: IpPrefix, address: IpAddress): boolean {
  if (prefix.family !== address.family) return false;
  const a = networkOf(prefix);
  const b = networkOf({ ...address, prefixLength: prefix.prefixLength });
  return a.every((byte, i) => byte === b[i]);
}

/** Parses "aa:bb:cc:dd:ee:ff" (case-insensitive); returns undefined otherwise. */
export function parseMac(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text)) return undefined;
  return Uint8Array.from(text.split(":").map((h) => parseInt(h, 16)));
}

/** Formats link-layer address bytes as lower-case hex pairs joined by colons. */
export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(":");
}
