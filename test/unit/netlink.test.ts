// Encoding and decoding of rtnetlink messages against byte vectors written
// out by hand from the uapi structs (linux/netlink.h, linux/rtnetlink.h,
// linux/if_link.h, linux/if_addr.h). No socket and no root needed.
import { describe, expect, test } from "bun:test";
import {
  addAddressRequest,
  addBridgeRequest,
  addRouteRequest,
  addVethRequest,
  attr,
  attributeMap,
  decodeAddress,
  decodeAttributes,
  decodeDonePayload,
  decodeErrorPayload,
  decodeLink,
  decodeMessages,
  decodeRoute,
  deleteLinkRequest,
  encodeAttributes,
  encodeRequest,
  getLinkRequest,
  IFF_UP,
  listLinksRequest,
  messageTypeName,
  moveLinkRequest,
  NetlinkError,
  RTM_NEWLINK,
  setLinkMasterRequest,
  setLinkUpRequest,
} from "../../src/netlink/index.ts";

/** Bytes from hex pairs separated by whitespace or "|". */
function hex(text: string): Uint8Array {
  const pairs = text.replace(/[\s|]+/g, "");
  return Uint8Array.from(pairs.match(/../g) ?? [], (h) => parseInt(h, 16));
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** Compares as hex text, so that a failure shows where the bytes differ. */
function expectBytes(actual: Uint8Array, expected: string): void {
  expect(toHex(actual)).toBe(toHex(hex(expected)));
}

const ZERO_IFINFOMSG = "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00";

describe("attribute encoding", () => {
  test("pads a string attribute to four bytes", () => {
    // nla_len counts the NUL but not the padding.
    expectBytes(encodeAttributes([attr.string(3, "eth0")]), "09 00 03 00 | 65 74 68 30 00 | 00 00 00");
  });

  test("sets NLA_F_NESTED and counts padded children", () => {
    const encoded = encodeAttributes([attr.nested(18, [attr.string(1, "bridge")])]);
    expectBytes(encoded, "10 00 12 80 | 0b 00 01 00 62 72 69 64 67 65 00 00");
  });

  test("decodes back what it encodes", () => {
    const encoded = encodeAttributes([attr.u32(4, 1500), attr.nested(18, [attr.string(1, "veth")]), attr.u8(16, 6)]);
    const list = decodeAttributes(encoded);
    expect(list.map((a) => a.type)).toEqual([4, 18, 16]);
    expect(list[1]!.nested).toBe(true);
    expect(list[0]!.nested).toBe(false);
    expect(attributeMap(list[1]!.value).get(1)).toEqual(hex("76 65 74 68 00"));
  });

  test("rejects an attribute that runs past its buffer", () => {
    expect(() => decodeAttributes(hex("0c 00 03 00 65 74 68 30"))).toThrow(RangeError);
  });
});

describe("link requests", () => {
  test("create a bridge", () => {
    // NLM_F_REQUEST|NLM_F_ACK|NLM_F_EXCL|NLM_F_CREATE = 0x605.
    expectBytes(
      encodeRequest(addBridgeRequest("br0"), 1),
      `38 00 00 00 | 10 00 | 05 06 | 01 00 00 00 | 00 00 00 00
       ${ZERO_IFINFOMSG}
       08 00 03 00 | 62 72 30 00
       10 00 12 80 | 0b 00 01 00 62 72 69 64 67 65 00 00`,
    );
  });

  test("create a veth pair with the peer in another namespace", () => {
    const request = addVethRequest({ name: "nsv0", mtu: 1400 }, { name: "nsc0", mtu: 1400, netns: { fd: 7 } });
    expectBytes(
      encodeRequest(request, 1),
      `78 00 00 00 | 10 00 | 05 06 | 01 00 00 00 | 00 00 00 00
       ${ZERO_IFINFOMSG}
       09 00 03 00 | 6e 73 76 30 00 00 00 00
       08 00 04 00 | 78 05 00 00
       44 00 12 80
         09 00 01 00 | 76 65 74 68 00 00 00 00
         34 00 02 80
           30 00 01 80
             ${ZERO_IFINFOMSG}
             09 00 03 00 | 6e 73 63 30 00 00 00 00
             08 00 04 00 | 78 05 00 00
             08 00 1c 00 | 07 00 00 00`,
    );
  });

  test("set a link up changes only IFF_UP", () => {
    expectBytes(
      encodeRequest(setLinkUpRequest({ index: 5, name: "eth0" }, true), 9),
      `20 00 00 00 | 10 00 | 05 00 | 09 00 00 00 | 00 00 00 00
       00 00 00 00 | 05 00 00 00 | 01 00 00 00 | 01 00 00 00`,
    );
    const down = encodeRequest(setLinkUpRequest({ index: 5, name: "eth0" }, false), 9);
    expectBytes(down.subarray(24, 32), "00 00 00 00 | 01 00 00 00");
  });

  test("attach to a bridge and detach", () => {
    const attach = encodeRequest(setLinkMasterRequest({ index: 4, name: "nsv0" }, { index: 2, name: "br0" }), 1);
    expectBytes(attach.subarray(32), "08 00 0a 00 | 02 00 00 00");
    const detach = encodeRequest(setLinkMasterRequest({ index: 4, name: "nsv0" }, null), 1);
    expectBytes(detach.subarray(32), "08 00 0a 00 | 00 00 00 00");
  });

  test("move a link by pid and rename it in one request", () => {
    const request = moveLinkRequest({ index: 4, name: "eth1" }, { pid: 1234 }, "ctr1");
    expectBytes(
      encodeRequest(request, 2),
      `34 00 00 00 | 10 00 | 05 00 | 02 00 00 00 | 00 00 00 00
       00 00 00 00 | 04 00 00 00 | 00 00 00 00 | 00 00 00 00
       08 00 13 00 | d2 04 00 00
       09 00 03 00 | 63 74 72 31 00 00 00 00`,
    );
  });

  test("move a link by namespace fd", () => {
    const encoded = encodeRequest(moveLinkRequest({ index: 4, name: "eth1" }, { fd: 9 }), 2);
    expectBytes(encoded.subarray(32), "08 00 1c 00 | 09 00 00 00");
  });

  test("get a link by name", () => {
    expectBytes(
      encodeRequest(getLinkRequest("eth0"), 3),
      `2c 00 00 00 | 12 00 | 05 00 | 03 00 00 00 | 00 00 00 00
       ${ZERO_IFINFOMSG}
       09 00 03 00 | 65 74 68 30 00 00 00 00`,
    );
  });

  test("get a link by index carries no name", () => {
    const request = getLinkRequest(7);
    expect(request.target).toBe("ifindex 7");
    expectBytes(encodeRequest(request, 3).subarray(16), "00 00 00 00 | 07 00 00 00 | 00 00 00 00 | 00 00 00 00");
  });

  test("list links is a dump", () => {
    // NLM_F_REQUEST|NLM_F_DUMP = 0x301.
    expectBytes(encodeRequest(listLinksRequest(), 4).subarray(0, 16), "20 00 00 00 | 12 00 | 01 03 | 04 00 00 00 | 00 00 00 00");
  });

  test("delete a link by index", () => {
    expectBytes(encodeRequest(deleteLinkRequest({ index: 6, name: "nsv0" }), 5).subarray(0, 24), "20 00 00 00 | 11 00 | 05 00 | 05 00 00 00 | 00 00 00 00 | 00 00 00 00 | 06 00 00 00");
  });

  test("an invalid MAC is rejected before sending", () => {
    expect(() => addVethRequest({ name: "a" }, { name: "b", mac: "02:00:00" })).toThrow(/invalid MAC address "02:00:00"/);
  });
});

describe("address and route requests", () => {
  test("add an IPv4 address with its broadcast", () => {
    expectBytes(
      encodeRequest(addAddressRequest({ index: 3, name: "eth0" }, "192.0.2.10/24"), 1),
      `30 00 00 00 | 14 00 | 05 06 | 01 00 00 00 | 00 00 00 00
       02 18 00 00 | 03 00 00 00
       08 00 02 00 | c0 00 02 0a
       08 00 01 00 | c0 00 02 0a
       08 00 04 00 | c0 00 02 ff`,
    );
  });

  test("add an IPv6 address without DAD", () => {
    expectBytes(
      encodeRequest(addAddressRequest({ index: 3, name: "eth0" }, "2001:db8::10/64"), 1),
      `40 00 00 00 | 14 00 | 05 06 | 01 00 00 00 | 00 00 00 00
       0a 40 02 00 | 03 00 00 00
       14 00 02 00 | 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 10
       14 00 01 00 | 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 10`,
    );
  });

  test("add an IPv4 default route through a gateway", () => {
    // rtmsg: family 2, dst_len 0, table 254 (main), protocol 3 (boot), scope 0, type 1 (unicast).
    expectBytes(
      encodeRequest(addRouteRequest({ destination: "default", gateway: "192.0.2.1", link: { index: 3, name: "eth0" } }), 1),
      `2c 00 00 00 | 18 00 | 05 06 | 01 00 00 00 | 00 00 00 00
       02 00 00 00 | fe 03 00 01 | 00 00 00 00
       08 00 05 00 | c0 00 02 01
       08 00 04 00 | 03 00 00 00`,
    );
  });

  test("add an IPv4 route out of a link has link scope", () => {
    expectBytes(
      encodeRequest(addRouteRequest({ destination: "198.51.100.0/24", link: { index: 3, name: "eth0" } }), 1).subarray(16),
      `02 18 00 00 | fe 03 fd 01 | 00 00 00 00
       08 00 01 00 | c6 33 64 00
       08 00 04 00 | 03 00 00 00`,
    );
  });

  test("add an IPv6 default route", () => {
    expectBytes(
      encodeRequest(addRouteRequest({ destination: "default", gateway: "fe80::1", link: { index: 3, name: "eth0" } }), 1).subarray(16),
      `0a 00 00 00 | fe 03 00 01 | 00 00 00 00
       14 00 05 00 | fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 01
       08 00 04 00 | 03 00 00 00`,
    );
  });

  test("route destinations are sent as their network", () => {
    const encoded = encodeRequest(addRouteRequest({ destination: "198.51.100.77/24", gateway: "192.0.2.1" }), 1);
    expectBytes(encoded.subarray(28, 36), "08 00 01 00 | c6 33 64 00");
  });

  test("route spec errors", () => {
    expect(() => addRouteRequest({ destination: "default" })).toThrow(/needs a gateway or a link/);
    expect(() => addRouteRequest({ destination: "default", gateway: "192.0.2.300" })).toThrow(/invalid gateway/);
    expect(() => addRouteRequest({ destination: "2001:db8::/32", gateway: "192.0.2.1" })).toThrow(/other address family/);
    expect(() => addRouteRequest({ destination: "198.51.100.0", gateway: "192.0.2.1" })).toThrow(/invalid route destination/);
  });
});

describe("reply decoding", () => {
  // An RTM_NEWLINK as the kernel sends it for a veth "eth0", index 7, up, in bridge 2.
  const newlink = hex(`
    a4 00 00 00 | 10 00 | 02 00 | 05 00 00 00 | d2 04 00 00
    00 00 01 00 | 07 00 00 00 | 43 10 01 00 | 00 00 00 00
    09 00 03 00 | 65 74 68 30 00 00 00 00
    08 00 04 00 | dc 05 00 00
    0a 00 01 00 | 02 00 c0 00 02 0a 00 00
    08 00 0a 00 | 02 00 00 00
    05 00 10 00 | 06 00 00 00
    10 00 12 00 | 09 00 01 00 76 65 74 68 00 00 00 00
    44 00 17 00
      0a 00 00 00 00 00 00 00 | 0b 00 00 00 00 00 00 00
      e8 03 00 00 00 00 00 00 | d0 07 00 00 00 00 00 00
      01 00 00 00 00 00 00 00 | 02 00 00 00 00 00 00 00
      03 00 00 00 00 00 00 00 | 04 00 00 00 00 00 00 00`);

  test("decodes an RTM_NEWLINK", () => {
    const [m] = decodeMessages(newlink);
    expect(m!.type).toBe(RTM_NEWLINK);
    expect(m!.seq).toBe(5);
    expect(m!.pid).toBe(1234);
    const link = decodeLink(m!);
    expect(link.index).toBe(7);
    expect(link.name).toBe("eth0");
    expect(link.up).toBe(true);
    expect(link.flags & IFF_UP).toBe(IFF_UP);
    expect(link.mtu).toBe(1500);
    expect(link.mac).toBe("02:00:c0:00:02:0a");
    expect(link.master).toBe(2);
    expect(link.operstate).toBe(6);
    expect(link.kind).toBe("veth");
    expect(link.stats).toEqual({
      rx_packets: 10,
      tx_packets: 11,
      rx_bytes: 1000,
      tx_bytes: 2000,
      rx_errors: 1,
      tx_errors: 2,
      rx_dropped: 3,
      tx_dropped: 4,
    });
  });

  test("splits a datagram into aligned messages", () => {
    const done = hex("14 00 00 00 | 03 00 | 02 00 | 05 00 00 00 | d2 04 00 00 | 00 00 00 00");
    const datagram = new Uint8Array(newlink.length + done.length);
    datagram.set(newlink);
    datagram.set(done, newlink.length);
    const messages = decodeMessages(datagram);
    expect(messages.map((m) => messageTypeName(m.type))).toEqual(["RTM_NEWLINK", "NLMSG_DONE"]);
    expect(decodeDonePayload(messages[1]!).errno).toBe(0);
  });

  test("rejects a message longer than its datagram", () => {
    expect(() => decodeMessages(newlink.subarray(0, 100))).toThrow(/nlmsg_len 164/);
  });

  test("decodes an error with extended acknowledgement", () => {
    // error -17, the capped request header, NLMSGERR_ATTR_MSG and NLMSGERR_ATTR_OFFS.
    const [m] = decodeMessages(
      hex(`44 00 00 00 | 02 00 | 00 03 | 01 00 00 00 | d2 04 00 00
           ef ff ff ff
           38 00 00 00 | 10 00 | 05 06 | 01 00 00 00 | 00 00 00 00
           18 00 01 00 | 55 6e 6b 6e 6f 77 6e 20 64 65 76 69 63 65 20 74 79 70 65 00
           08 00 02 00 | 20 00 00 00`),
    );
    expect(decodeErrorPayload(m!)).toEqual({ errno: 17, seq: 1, message: "Unknown device type", offset: 32 });
  });

  test("decodes an acknowledgement", () => {
    const [m] = decodeMessages(
      hex(`24 00 00 00 | 02 00 | 00 01 | 01 00 00 00 | d2 04 00 00
           00 00 00 00
           38 00 00 00 | 10 00 | 05 06 | 01 00 00 00 | 00 00 00 00`),
    );
    expect(decodeErrorPayload(m!)).toEqual({ errno: 0, seq: 1 });
  });

  test("decodes an uncapped error that echoes the whole request", () => {
    const [m] = decodeMessages(
      hex(`30 00 00 00 | 02 00 | 00 02 | 01 00 00 00 | d2 04 00 00
           ed ff ff ff
           14 00 00 00 | 10 00 | 05 06 | 01 00 00 00 | 00 00 00 00 | aa bb cc dd
           08 00 02 00 | 10 00 00 00`),
    );
    expect(decodeErrorPayload(m!)).toEqual({ errno: 19, seq: 1, offset: 16 });
  });

  test("decodes an RTM_NEWADDR", () => {
    const [m] = decodeMessages(
      hex(`3c 00 00 00 | 14 00 | 02 00 | 01 00 00 00 | 00 00 00 00
           02 18 80 00 | 03 00 00 00
           08 00 01 00 | c0 00 02 0a
           08 00 02 00 | c0 00 02 0a
           09 00 03 00 | 65 74 68 30 00 00 00 00
           08 00 08 00 | 80 00 00 00`),
    );
    expect(decodeAddress(m!)).toEqual({
      index: 3,
      family: 2,
      address: "192.0.2.10",
      prefixLength: 24,
      cidr: "192.0.2.10/24",
      scope: 0,
      flags: 0x80,
      label: "eth0",
    });
  });

  test("decodes an RTM_NEWROUTE", () => {
    const [m] = decodeMessages(
      hex(`34 00 00 00 | 18 00 | 02 00 | 01 00 00 00 | 00 00 00 00
           02 00 00 00 | fe 03 00 01 | 00 00 00 00
           08 00 0f 00 | fe 00 00 00
           08 00 05 00 | c0 00 02 01
           08 00 04 00 | 03 00 00 00`),
    );
    expect(decodeRoute(m!)).toEqual({
      family: 2,
      destination: "0.0.0.0/0",
      gateway: "192.0.2.1",
      oif: 3,
      table: 254,
      protocol: 3,
      scope: 0,
      type: 1,
    });
  });

  test("decodes an NLMSG_DONE that carries an error", () => {
    const [m] = decodeMessages(hex("14 00 00 00 | 03 00 | 02 00 | 01 00 00 00 | 00 00 00 00 | f9 ff ff ff"));
    expect(decodeDonePayload(m!).errno).toBe(7);
  });
});

describe("NetlinkError", () => {
  test("names the request, the target and the errno", () => {
    const e = new NetlinkError(RTM_NEWLINK, 17, "veth0");
    expect(e.message).toBe('RTM_NEWLINK "veth0": EEXIST (file exists)');
    expect(e.code).toBe("EEXIST");
    expect(e.request).toBe(RTM_NEWLINK);
  });

  test("appends the kernel's extended acknowledgement", () => {
    const e = new NetlinkError(RTM_NEWLINK, 22, "eth0", "MTU greater than device maximum");
    expect(e.message).toBe('RTM_NEWLINK "eth0": EINVAL (invalid argument): MTU greater than device maximum');
  });
});
