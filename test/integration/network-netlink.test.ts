// The rtnetlink client against the real kernel, inside network namespaces
// that the tests create. `ip -j` checks each effect from outside.
import { afterAll, describe, expect, test } from "bun:test";
import { closeSync, openSync, readdirSync, readlinkSync, statSync } from "node:fs";
import {
  addAddress,
  addBridge,
  addRoute,
  addVeth,
  AF_INET,
  deleteAddress,
  deleteLink,
  deleteRoute,
  detachLink,
  findLink,
  getLink,
  inNetworkNamespace,
  listAddresses,
  listLinks,
  listRoutes,
  moveLink,
  NetlinkError,
  NetlinkSocket,
  renameLink,
  setLinkDown,
  setLinkMac,
  setLinkMaster,
  setLinkMtu,
  setLinkUp,
  THREAD_NETNS,
} from "../../src/netlink/index.ts";
import { addrs, Fixture, linkNames, links, missingRequirement, run, succeeds } from "./network-helpers.ts";

const missing = missingRequirement();
if (missing) console.warn(`skipping netlink integration tests: they need ${missing}`);
const it = test.skipIf(missing !== undefined);

const fx = new Fixture();
afterAll(async () => {
  await fx.cleanup();
  expect(fx.leftovers()).toEqual([]);
});

/** Opens a socket in /run/netns/NAME, runs fn, closes it. */
function withSocket<T>(ns: string, fn: (sock: NetlinkSocket) => T): T {
  const sock = NetlinkSocket.open(`/run/netns/${ns}`);
  try {
    return fn(sock);
  } finally {
    sock.close();
  }
}

function linkOf(ns: string, name: string) {
  const link = links(ns).find((l) => l.ifname === name);
  if (!link) throw new Error(`no link ${name} in ${ns}`);
  return link;
}

describe("socket in another namespace", () => {
  it("sees only that namespace and leaves the thread where it was", () => {
    const ns = fx.netns("sock");
    const before = statSync(THREAD_NETNS).ino;
    const names = withSocket(ns, (sock) => listLinks(sock).map((l) => l.name));
    expect(names).toEqual(["lo"]);
    expect(statSync(THREAD_NETNS).ino).toBe(before);
  });

  it("switches only the calling thread of the threaded Bun process", () => {
    const ns = fx.netns("thread");
    const target = statSync(`/run/netns/${ns}`).ino;
    const tids = readdirSync("/proc/self/task");
    // Bun runs helper threads from startup; setns(CLONE_NEWNET) must work with them present.
    expect(tids.length).toBeGreaterThan(1);
    const own = statSync(THREAD_NETNS).ino;
    const seen = inNetworkNamespace(`/run/netns/${ns}`, () => ({
      self: statSync(THREAD_NETNS).ino,
      others: readdirSync("/proc/self/task")
        .filter((tid) => tid !== readlinkSync("/proc/thread-self").split("/").pop())
        .map((tid) => statSync(`/proc/self/task/${tid}/ns/net`).ino),
    }));
    expect(seen.self).toBe(target);
    expect(seen.others.every((ino) => ino === own)).toBe(true);
    expect(statSync(THREAD_NETNS).ino).toBe(own);
  });

  it("returns the thread home when the step throws", () => {
    const ns = fx.netns("throw");
    const own = statSync(THREAD_NETNS).ino;
    expect(() =>
      inNetworkNamespace(`/run/netns/${ns}`, () => {
        throw new Error("step failed");
      }),
    ).toThrow("step failed");
    expect(statSync(THREAD_NETNS).ino).toBe(own);
  });

  it("fails on a path that is not a namespace", () => {
    expect(() => NetlinkSocket.open("/nonexistent/netns")).toThrow(/open "\/nonexistent\/netns": ENOENT/);
  });
});

describe("links", () => {
  it("create, look up and delete a bridge", () => {
    const ns = fx.netns("bridge");
    withSocket(ns, (sock) => {
      addBridge(sock, "br0", { mtu: 1400 });
      const br = getLink(sock, "br0");
      expect(br.kind).toBe("bridge");
      expect(br.mtu).toBe(1400);
      expect(getLink(sock, br.index).name).toBe("br0");
      expect(linkOf(ns, "br0").mtu).toBe(1400);

      deleteLink(sock, br);
      expect(findLink(sock, "br0")).toBeUndefined();
    });
    expect(linkNames(ns)).toEqual(["lo"]);
  });

  it("report EEXIST with the request and the name", () => {
    const ns = fx.netns("eexist");
    withSocket(ns, (sock) => {
      addBridge(sock, "br0");
      let error: unknown;
      try {
        addBridge(sock, "br0");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NetlinkError);
      expect((error as NetlinkError).message).toBe('RTM_NEWLINK "br0": EEXIST (file exists)');
      expect((error as NetlinkError).errno).toBe(17);
    });
  });

  it("report ENODEV for a missing link", () => {
    const ns = fx.netns("enodev");
    withSocket(ns, (sock) => {
      expect(() => getLink(sock, "eth9")).toThrow('RTM_GETLINK "eth9": ENODEV (no such device)');
      expect(findLink(sock, 999)).toBeUndefined();
    });
  });

  it("carry the kernel's extended acknowledgement", () => {
    const ns = fx.netns("extack");
    withSocket(ns, (sock) => {
      addBridge(sock, "br0");
      // The kernel rejects this MTU with an explanation in NLMSGERR_ATTR_MSG.
      expect(() => setLinkMtu(sock, getLink(sock, "br0"), 70000)).toThrow(/RTM_NEWLINK "br0": EINVAL \(invalid argument\): .+/);
    });
  });

  it("change a veth's name, MTU, MAC, state and bridge", () => {
    const ns = fx.netns("veth");
    withSocket(ns, (sock) => {
      addBridge(sock, "br0");
      addVeth(sock, { name: "va", mtu: 1400 }, { name: "vb", mtu: 1400, mac: "02:00:c0:00:02:0b" });
      const br = getLink(sock, "br0");
      const va = getLink(sock, "va");
      expect(va.kind).toBe("veth");
      expect(getLink(sock, "vb").mac).toBe("02:00:c0:00:02:0b");
      expect(linkOf(ns, "vb").link).toBe("va");

      renameLink(sock, va, "vx");
      const vx = { index: va.index, name: "vx" };
      setLinkMtu(sock, vx, 1300);
      setLinkMac(sock, vx, "02:00:c0:00:02:0a");
      setLinkMaster(sock, vx, br);
      setLinkUp(sock, vx);
      let seen = linkOf(ns, "vx");
      expect(seen.mtu).toBe(1300);
      expect(seen.address).toBe("02:00:c0:00:02:0a");
      expect(seen.master).toBe("br0");
      expect(seen.flags).toContain("UP");
      expect(getLink(sock, "vx").master).toBe(br.index);
      expect(getLink(sock, "vx").slaveKind).toBe("bridge");

      setLinkDown(sock, vx);
      detachLink(sock, vx);
      seen = linkOf(ns, "vx");
      expect(seen.flags).not.toContain("UP");
      expect(seen.master).toBeUndefined();

      deleteLink(sock, vx);
    });
    // Deleting one end removes its peer.
    expect(linkNames(ns).sort()).toEqual(["br0", "lo"]);
  });

  it("create a veth's peer directly in another namespace", () => {
    const a = fx.netns("peer-a");
    const b = fx.netns("peer-b");
    const fd = openSync(`/run/netns/${b}`, "r");
    try {
      withSocket(a, (sock) => addVeth(sock, { name: "va" }, { name: "eth0", netns: { fd } }));
    } finally {
      closeSync(fd);
    }
    expect(linkNames(a).sort()).toEqual(["lo", "va"]);
    expect(linkNames(b).sort()).toEqual(["eth0", "lo"]);
  });

  it("move a link by pid and by fd, renaming it", () => {
    const a = fx.netns("move-a");
    const b = fx.netns("move-b");
    const container = fx.container();
    withSocket(a, (sock) => {
      addVeth(sock, { name: "va" }, { name: "vb" });
      moveLink(sock, getLink(sock, "va"), { pid: container.pid }, "ctr0");
      const fd = openSync(`/run/netns/${b}`, "r");
      try {
        moveLink(sock, getLink(sock, "vb"), { fd }, "net%d");
      } finally {
        closeSync(fd);
      }
    });
    expect(linkNames(container).sort()).toEqual(["ctr0", "lo"]);
    expect(linkNames(b).sort()).toEqual(["lo", "net0"]);
    expect(linkNames(a)).toEqual(["lo"]);
  });

  it("list hundreds of links across a multi-part dump", () => {
    const ns = fx.netns("dump");
    withSocket(ns, (sock) => {
      for (let i = 0; i < 150; i++) addVeth(sock, { name: `a${i}` }, { name: `b${i}` });
      const names = new Set(listLinks(sock).map((l) => l.name));
      expect(names.size).toBe(301);
      expect(names.has("a149")).toBe(true);
      expect(names.has("b0")).toBe(true);
    });
    expect(links(ns).length).toBe(301);
  });
});

describe("addresses and routes", () => {
  it("add, list and delete IPv4 addresses", () => {
    const ns = fx.netns("addr");
    withSocket(ns, (sock) => {
      addBridge(sock, "br0");
      const br = getLink(sock, "br0");
      addAddress(sock, br, "192.0.2.1/24");
      addAddress(sock, br, "198.51.100.1/25");
      const listed = listAddresses(sock, { index: br.index, family: AF_INET });
      expect(listed.map((a) => a.cidr)).toEqual(["192.0.2.1/24", "198.51.100.1/25"]);
      expect(listed[0]!.label).toBe("br0");

      const seen = addrs(ns, "br0").addr_info.filter((a) => a.family === "inet");
      expect(seen.map((a) => `${a.local}/${a.prefixlen}`)).toEqual(["192.0.2.1/24", "198.51.100.1/25"]);
      expect(run(["ip", "-n", ns, "addr", "show", "dev", "br0"])).toContain("brd 192.0.2.255");

      expect(() => addAddress(sock, br, "192.0.2.1/24")).toThrow(/RTM_NEWADDR "192.0.2.1\/24 on br0": EEXIST/);
      deleteAddress(sock, br, "198.51.100.1/25");
      expect(listAddresses(sock, { index: br.index, family: AF_INET }).map((a) => a.cidr)).toEqual(["192.0.2.1/24"]);
    });
  });

  it("add, list and delete IPv4 routes", () => {
    const ns = fx.netns("route");
    withSocket(ns, (sock) => {
      addBridge(sock, "br0");
      const br = getLink(sock, "br0");
      addAddress(sock, br, "192.0.2.10/24");
      setLinkUp(sock, br);
      addRoute(sock, { destination: "default", gateway: "192.0.2.1", link: br });
      addRoute(sock, { destination: "198.51.100.0/24", gateway: "192.0.2.254" });
      addRoute(sock, { destination: "203.0.113.0/24", link: br, metric: 50 });

      const listed = listRoutes(sock, { family: AF_INET });
      expect(listed.find((r) => r.destination === "0.0.0.0/0")?.gateway).toBe("192.0.2.1");
      expect(listed.find((r) => r.destination === "198.51.100.0/24")?.oif).toBe(br.index);
      expect(listed.find((r) => r.destination === "203.0.113.0/24")?.priority).toBe(50);
      const text = run(["ip", "-n", ns, "route", "show"]);
      expect(text).toContain("default via 192.0.2.1 dev br0");
      expect(text).toContain("198.51.100.0/24 via 192.0.2.254 dev br0");
      expect(text).toContain("203.0.113.0/24 dev br0 scope link metric 50");

      expect(() => addRoute(sock, { destination: "default", gateway: "198.51.100.1" })).toThrow(/RTM_NEWROUTE "default via 198.51.100.1": ENETUNREACH/);
      deleteRoute(sock, { destination: "default", gateway: "192.0.2.1" });
      deleteRoute(sock, { destination: "203.0.113.0/24", link: br });
      expect(run(["ip", "-n", ns, "route", "show"])).not.toContain("default");
      expect(run(["ip", "-n", ns, "route", "show"])).not.toContain("203.0.113.0");
    });
  });

  it("list IPv6 addresses that the kernel assigns", () => {
    const ns = fx.netns("addr6");
    withSocket(ns, (sock) => {
      setLinkUp(sock, getLink(sock, "lo"));
      const v6 = listAddresses(sock).filter((a) => a.family === 10);
      expect(v6.map((a) => a.cidr)).toEqual(["::1/128"]);
    });
  });
});

describe("counters", () => {
  it("IFLA_STATS64 counts a ping between two namespaces", () => {
    const a = fx.netns("stats-a");
    const b = fx.netns("stats-b");
    run(["ip", "-n", a, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b]);
    run(["ip", "-n", a, "addr", "add", "192.0.2.1/24", "dev", "va"]);
    run(["ip", "-n", b, "addr", "add", "192.0.2.2/24", "dev", "vb"]);
    run(["ip", "-n", a, "link", "set", "va", "up"]);
    run(["ip", "-n", b, "link", "set", "vb", "up"]);
    const before = withSocket(a, (sock) => getLink(sock, "va").stats!);
    expect(succeeds(["ip", "netns", "exec", a, "ping", "-c", "1", "-W", "1", "-q", "192.0.2.2"])).toBe(true);
    const after = withSocket(a, (sock) => getLink(sock, "va").stats!);
    expect(after.tx_packets).toBeGreaterThan(before.tx_packets);
    expect(after.rx_packets).toBeGreaterThan(before.rx_packets);
    expect(after.tx_bytes - before.tx_bytes).toBeGreaterThanOrEqual(98);
  });
});
