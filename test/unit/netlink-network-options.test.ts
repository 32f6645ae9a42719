// Parsing and validation of --network, the dev.ns.network annotation and
// linux.netDevices (src/network/options.ts). No root needed: the only files
// it opens are namespace files of the test process itself.
import { describe, expect, test } from "bun:test";
import { NetworkError, networkNamespacePath, parseNetworkOptions } from "../../src/network/index.ts";

function parse(...specs: string[]) {
  return parseNetworkOptions(specs, undefined, undefined);
}

/** Returns the message of the NetworkError that fn throws. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NetworkError);
    return (e as Error).message;
  }
  throw new Error("expected a NetworkError, but nothing was thrown");
}

describe("veth specs", () => {
  test("full spec", () => {
    const plan = parse(
      "veth:bridge=br0,name=eth1,address=192.0.2.10/24,address=2001:db8::10/64,gateway=192.0.2.1,gateway=fe80::1,route=198.51.100.0/24@192.0.2.254,route=203.0.113.0/24,mtu=1400,mac=02:00:C0:00:02:0A,prefix=ctr",
    );
    expect(plan.loopback).toBe(true);
    expect(plan.veths).toEqual([
      {
        origin: '--network "veth:bridge=br0,name=eth1,address=192.0.2.10/24,address=2001:db8::10/64,gateway=192.0.2.1,gateway=fe80::1,route=198.51.100.0/24@192.0.2.254,route=203.0.113.0/24,mtu=1400,mac=02:00:C0:00:02:0A,prefix=ctr"',
        bridge: "br0",
        name: "eth1",
        hostPrefix: "ctr",
        addresses: ["192.0.2.10/24", "2001:db8::10/64"],
        gateways: ["192.0.2.1", "fe80::1"],
        routes: [{ destination: "198.51.100.0/24", gateway: "192.0.2.254" }, { destination: "203.0.113.0/24" }],
        mtu: 1400,
        mac: "02:00:c0:00:02:0a",
      },
    ]);
  });

  test("defaults", () => {
    const [veth] = parse("veth:bridge=br0").veths;
    expect(veth!.name).toBe("eth0");
    expect(veth!.hostPrefix).toBe("nsv");
    expect(veth!.addresses).toEqual([]);
    expect(veth!.mtu).toBeUndefined();
    expect(veth!.mac).toBeUndefined();
  });

  test("default route through route=default@GATEWAY", () => {
    const [veth] = parse("veth:bridge=br0,address=192.0.2.10/24,route=default@192.0.2.1").veths;
    expect(veth!.routes).toEqual([{ destination: "default", gateway: "192.0.2.1" }]);
  });

  test("two veths in one container", () => {
    const plan = parse("veth:bridge=br0", "veth:bridge=br1,name=eth1");
    expect(plan.veths.map((v) => v.name)).toEqual(["eth0", "eth1"]);
  });

  test("loopback alone is accepted", () => {
    expect(parse("loopback")).toEqual({ loopback: true, veths: [], netDevices: [] });
  });

  const errors: Array<[string, string, RegExp]> = [
    ["unknown type", "bridge:br0", /unknown network type "bridge"/],
    ["unknown key", "veth:bridge=br0,ip=192.0.2.1/24", /unknown key "ip"/],
    ["missing bridge", "veth:name=eth0", /bridge is missing/],
    ["empty value", "veth:bridge=", /bridge has an empty value/],
    ["not KEY=VALUE", "veth:bridge", /expected KEY=VALUE, got "bridge"/],
    ["repeated single key", "veth:bridge=br0,bridge=br1", /bridge is given twice/],
    ["address out of range", "veth:bridge=br0,address=192.0.2.300/24", /invalid address "192.0.2.300\/24"/],
    ["address without length", "veth:bridge=br0,address=192.0.2.10", /invalid address "192.0.2.10": expected ADDRESS\/LENGTH/],
    ["gateway outside the subnet", "veth:bridge=br0,address=192.0.2.10/24,gateway=198.51.100.1", /gateway "198.51.100.1" is outside every IPv4 address/],
    ["gateway without address", "veth:bridge=br0,gateway=192.0.2.1", /outside every IPv4 address/],
    ["two IPv4 gateways", "veth:bridge=br0,address=192.0.2.10/24,gateway=192.0.2.1,gateway=192.0.2.2", /a second IPv4 gateway/],
    ["gateway and default route", "veth:bridge=br0,address=192.0.2.10/24,gateway=192.0.2.1,route=default@192.0.2.2", /a second IPv4 default route/],
    ["default route without gateway", "veth:bridge=br0,route=default", /a default route needs a gateway/],
    ["route of mixed families", "veth:bridge=br0,address=192.0.2.10/24,route=2001:db8::/32@192.0.2.1", /the gateway is IPv4 and the destination is not/],
    ["malformed route", "veth:bridge=br0,route=198.51.100.0@192.0.2.1", /invalid route "198.51.100.0@192.0.2.1"/],
    ["name of 16 bytes", "veth:bridge=br0,name=abcdefghijklmnop", /invalid name "abcdefghijklmnop": it is 16 bytes long/],
    ["name with a slash", "veth:bridge=br0,name=eth/0", /invalid name "eth\/0": it contains/],
    ["name lo", "veth:bridge=br0,name=lo", /invalid name "lo"/],
    ["name template", "veth:bridge=br0,name=eth%d", /a "%d" template is not allowed here/],
    ["bridge name too long", "veth:bridge=bridge-name-toolong", /invalid bridge "bridge-name-toolong"/],
    ["prefix too long", "veth:bridge=br0,prefix=abcdefgh", /invalid prefix "abcdefgh": at most 7 characters/],
    ["mtu not a number", "veth:bridge=br0,mtu=1.5k", /invalid mtu "1.5k"/],
    ["mtu too small", "veth:bridge=br0,mtu=67", /expected 68 to 65535 bytes/],
    ["mtu too large", "veth:bridge=br0,mtu=65536", /expected 68 to 65535 bytes/],
    ["multicast mac", "veth:bridge=br0,mac=01:00:5e:00:00:01", /it is a multicast address/],
    ["zero mac", "veth:bridge=br0,mac=00:00:00:00:00:00", /it is all zeros/],
    ["malformed mac", "veth:bridge=br0,mac=02:00:00:00:00", /invalid mac "02:00:00:00:00"/],
    ["loopback with settings", "loopback:up=1", /loopback takes no settings/],
  ];
  for (const [title, spec, message] of errors) {
    test(`rejects ${title}`, () => {
      const text = errorOf(() => parse(spec));
      expect(text.startsWith(`--network ${JSON.stringify(spec)}: `)).toBe(true);
      expect(text).toMatch(message);
      expect(text).not.toContain("\n");
    });
  }

  test("rejects two veths with one name", () => {
    expect(errorOf(() => parse("veth:bridge=br0", "veth:bridge=br1"))).toMatch(/--network "veth:bridge=br1": interface name "eth0" is already used by --network "veth:bridge=br0"/);
  });

  test("rejects two IPv4 default routes across veths", () => {
    const text = errorOf(() => parse("veth:bridge=br0,address=192.0.2.10/24,gateway=192.0.2.1", "veth:bridge=br1,name=eth1,address=198.51.100.10/24,gateway=198.51.100.1"));
    expect(text).toMatch(/a second IPv4 default route; --network "veth:bridge=br0,/);
  });
});

describe("annotation", () => {
  test("applies when no --network is given", () => {
    const plan = parseNetworkOptions([], { "dev.ns.network": "veth:bridge=br0; veth:bridge=br1,name=eth1\n" }, undefined);
    expect(plan.veths.map((v) => v.bridge)).toEqual(["br0", "br1"]);
    expect(plan.veths[0]!.origin).toBe('annotation dev.ns.network "veth:bridge=br0"');
  });

  test("is replaced by --network", () => {
    const plan = parseNetworkOptions(["veth:bridge=br2"], { "dev.ns.network": "veth:bridge=br0" }, undefined);
    expect(plan.veths.map((v) => v.bridge)).toEqual(["br2"]);
  });

  test("errors name the annotation", () => {
    expect(errorOf(() => parseNetworkOptions([], { "dev.ns.network": "veth:mtu=9" }, undefined))).toMatch(/^annotation dev.ns.network "veth:mtu=9": /);
  });
});

describe("netns specs", () => {
  test("joins a network namespace file", () => {
    const plan = parse("netns:/proc/self/ns/net");
    expect(networkNamespacePath(plan)).toBe("/proc/self/ns/net");
    expect(plan.loopback).toBe(false);
  });

  test("no netns means a new namespace", () => {
    expect(networkNamespacePath(parse("veth:bridge=br0"))).toBeUndefined();
  });

  test("rejects a relative path", () => {
    expect(errorOf(() => parse("netns:run/netns/a"))).toMatch(/invalid path "run\/netns\/a": expected an absolute path/);
  });

  test("rejects a missing file", () => {
    expect(errorOf(() => parse("netns:/nonexistent/netns"))).toMatch(/failed to open "\/nonexistent\/netns": ENOENT/);
  });

  test("rejects a file that is not a namespace", () => {
    expect(errorOf(() => parse("netns:/proc/self/status"))).toMatch(/"\/proc\/self\/status" is not a namespace file/);
  });

  test("rejects a namespace of another type", () => {
    expect(errorOf(() => parse("netns:/proc/self/ns/uts"))).toMatch(/is a namespace, but not a network namespace/);
  });

  test("rejects a second netns", () => {
    expect(errorOf(() => parse("netns:/proc/self/ns/net", "netns:/proc/1/ns/net"))).toMatch(/a second network namespace to join/);
  });

  test("rejects an empty path", () => {
    expect(errorOf(() => parse("netns:"))).toMatch(/the path is missing/);
  });
});

describe("linux.netDevices", () => {
  test("keeps the host name unless renamed", () => {
    const plan = parseNetworkOptions([], undefined, { eth1: {}, eth2: { name: "ctr2" }, eth3: { name: "net%d" } });
    expect(plan.netDevices).toEqual([
      { origin: 'linux.netDevices["eth1"]', hostName: "eth1", name: "eth1" },
      { origin: 'linux.netDevices["eth2"]', hostName: "eth2", name: "ctr2" },
      { origin: 'linux.netDevices["eth3"]', hostName: "eth3", name: "net%d" },
    ]);
  });

  test("rejects an invalid host name", () => {
    expect(errorOf(() => parseNetworkOptions([], undefined, { "a b": {} }))).toMatch(/^linux.netDevices\["a b"\]: invalid host interface name "a b"/);
  });

  test("rejects a bad template", () => {
    expect(errorOf(() => parseNetworkOptions([], undefined, { eth1: { name: "n%d%d" } }))).toMatch(/^linux.netDevices\["eth1"\].name: invalid name "n%d%d": only one "%d" is allowed/);
    expect(errorOf(() => parseNetworkOptions([], undefined, { eth1: { name: "n%s" } }))).toMatch(/only one "%d" is allowed/);
  });

  test("rejects a name that a veth also takes", () => {
    expect(errorOf(() => parseNetworkOptions(["veth:bridge=br0"], undefined, { eth9: { name: "eth0" } }))).toMatch(/^linux.netDevices\["eth9"\].name: interface name "eth0" is already used/);
  });
});

describe("linux.namespaces", () => {
  test("a shared network namespace rejects any network option", () => {
    const text = errorOf(() => parseNetworkOptions(["veth:bridge=br0"], undefined, undefined, [{ type: "pid" }]));
    expect(text).toMatch(/the container shares the host's network namespace/);
  });

  test("a shared network namespace without options is left alone", () => {
    expect(parseNetworkOptions([], undefined, undefined, [{ type: "pid" }]).loopback).toBe(false);
  });

  test("a new network namespace gets loopback", () => {
    expect(parseNetworkOptions([], undefined, undefined, [{ type: "network" }]).loopback).toBe(true);
  });

  test("a joined path becomes the namespace to join", () => {
    const plan = parseNetworkOptions([], undefined, undefined, [{ type: "network", path: "/run/netns/a" }]);
    expect(networkNamespacePath(plan)).toBe("/run/netns/a");
    expect(plan.loopback).toBe(false);
  });

  test("netns must agree with a joined path", () => {
    const text = errorOf(() => parseNetworkOptions(["netns:/proc/self/ns/net"], undefined, undefined, [{ type: "network", path: "/run/netns/a" }]));
    expect(text).toMatch(/linux.namespaces already joins the network namespace "\/run\/netns\/a"/);
  });
});
