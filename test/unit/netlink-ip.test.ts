// Address, prefix and MAC parsing and formatting for netlink requests.
import { describe, expect, test } from "bun:test";
import { AF_INET, AF_INET6, broadcastOf, formatIp, formatMac, networkOf, parseIp, parseMac, parsePrefix, prefixContains } from "../../src/netlink/index.ts";

function roundTrip(text: string): string | undefined {
  const ip = parseIp(text);
  return ip && formatIp(ip.bytes);
}

describe("parseIp", () => {
  test("reads IPv4 dotted quads", () => {
    expect(parseIp("192.0.2.10")).toEqual({ family: AF_INET, bytes: Uint8Array.of(192, 0, 2, 10) });
    expect(roundTrip("0.0.0.0")).toBe("0.0.0.0");
    expect(roundTrip("255.255.255.255")).toBe("255.255.255.255");
  });

  test("rejects malformed IPv4", () => {
    for (const text of ["192.0.2", "192.0.2.256", "192.0.2.010", "192.0.2.-1", "192.0.2.1.", " 192.0.2.1", ""]) {
      expect(parseIp(text)).toBeUndefined();
    }
  });

  test("reads IPv6 with and without compression", () => {
    expect(parseIp("2001:db8::10")?.family).toBe(AF_INET6);
    expect(roundTrip("2001:db8:0:0:0:0:0:10")).toBe("2001:db8::10");
    expect(roundTrip("::")).toBe("::");
    expect(roundTrip("::1")).toBe("::1");
    expect(roundTrip("fe80::")).toBe("fe80::");
    expect(roundTrip("2001:DB8::A")).toBe("2001:db8::a");
    expect(roundTrip("::ffff:192.0.2.1")).toBe("::ffff:c000:201");
  });

  test("formats IPv6 as RFC 5952 says", () => {
    // The longest zero run is compressed; on a tie the first; a single zero group is not.
    expect(roundTrip("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(roundTrip("2001:0:0:1:0:0:0:1")).toBe("2001:0:0:1::1");
    expect(roundTrip("2001:db8:0:1:1:1:1:1")).toBe("2001:db8:0:1:1:1:1:1");
  });

  test("rejects malformed IPv6", () => {
    for (const text of ["2001:db8:::1", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::1", "1:2:3:4:5:6:7::8"]) {
      expect(parseIp(text)).toBeUndefined();
    }
  });
});

describe("prefixes", () => {
  test("parsePrefix needs a length in range", () => {
    expect(parsePrefix("192.0.2.10/24")?.prefixLength).toBe(24);
    expect(parsePrefix("2001:db8::/128")?.prefixLength).toBe(128);
    expect(parsePrefix("192.0.2.10")).toBeUndefined();
    expect(parsePrefix("192.0.2.10/33")).toBeUndefined();
    expect(parsePrefix("192.0.2.10/")).toBeUndefined();
    expect(parsePrefix("192.0.2.10/024")).toBeUndefined();
  });

  test("network and broadcast clear and set the host bits", () => {
    const p = parsePrefix("198.51.100.77/26")!;
    expect(formatIp(networkOf(p))).toBe("198.51.100.64");
    expect(formatIp(broadcastOf(p))).toBe("198.51.100.127");
  });

  test("prefixContains compares network bits and family", () => {
    const p = parsePrefix("192.0.2.10/24")!;
    expect(prefixContains(p, parseIp("192.0.2.1")!)).toBe(true);
    expect(prefixContains(p, parseIp("192.0.3.1")!)).toBe(false);
    expect(prefixContains(p, parseIp("::1")!)).toBe(false);
    expect(prefixContains(parsePrefix("0.0.0.0/0")!, parseIp("203.0.113.9")!)).toBe(true);
  });
});

describe("MAC addresses", () => {
  test("parse and format", () => {
    expect(parseMac("02:00:C0:00:02:0a")).toEqual(Uint8Array.of(2, 0, 0xc0, 0, 2, 0x0a));
    expect(formatMac(Uint8Array.of(2, 0, 0xc0, 0, 2, 0x0a))).toBe("02:00:c0:00:02:0a");
  });

  test("reject malformed text", () => {
    for (const text of ["02:00:c0:00:02", "02-00-c0-00-02-0a", "02:00:c0:00:02:0a:01", "2:0:c0:0:2:a"]) {
      expect(parseMac(text)).toBeUndefined();
    }
  });
});
