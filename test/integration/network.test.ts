// Container networking end to end, with a process in a fresh network
// namespace playing the container's init and a named namespace playing the
// host: setupHostSide runs against the "host" (hostNetns), setupContainerSide
// runs on this thread after setns into the "container", and teardownHostSide
// must leave the "host" as it was.
import { afterAll, describe, expect, test } from "bun:test";
import { inNetworkNamespace } from "../../src/netlink/index.ts";
import {
  interfaceStats,
  NetworkError,
  type NetworkState,
  parseNetworkOptions,
  setupContainerSide,
  setupHostSide,
  teardownHostSide,
} from "../../src/network/index.ts";
import { addrs, Fixture, linkNames, links, missingRequirement, ping, routes, run } from "./network-helpers.ts";

const missing = missingRequirement();
if (missing) console.warn(`skipping network integration tests: they need ${missing}`);
const it = test.skipIf(missing !== undefined);

const fx = new Fixture();
afterAll(async () => {
  await fx.cleanup();
  expect(fx.leftovers()).toEqual([]);
});

function hostOpts(host: string) {
  return { hostNetns: `/run/netns/${host}` };
}

function inside(container: { pid: number }, state: NetworkState): void {
  inNetworkNamespace(`/proc/${container.pid}/ns/net`, () => setupContainerSide(state));
}

/** Runs the launcher's and the init stage's halves for one container. */
function connect(host: string, container: { pid: number }, specs: string[], netDevices?: Record<string, { name?: string }>): NetworkState {
  const plan = parseNetworkOptions(specs, undefined, netDevices);
  const state = setupHostSide(plan, container.pid, hostOpts(host));
  inside(container, state);
  return state;
}

/** Returns the message of the error that fn throws, after checking that it is a one-line NetworkError. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NetworkError);
    const message = (e as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("expected a NetworkError, but nothing was thrown");
}

describe("veth", () => {
  it("joins the bridge and gets its address and default route", () => {
    const host = fx.hostWithBridge("veth", "192.0.2.1/24");
    const c = fx.container();
    const state = connect(host, c, ["veth:bridge=br0,address=192.0.2.10/24,gateway=192.0.2.1,mtu=1400"]);

    const hostEnd = links(host).find((l) => l.ifname === state.veths[0]!.hostName)!;
    expect(hostEnd.ifname).toMatch(/^nsv[0-9a-f]{8}$/);
    expect(hostEnd.master).toBe("br0");
    expect(hostEnd.flags).toContain("UP");
    expect(hostEnd.mtu).toBe(1400);

    expect(linkNames(c).sort()).toEqual(["eth0", "lo"]);
    const eth0 = addrs(c, "eth0");
    expect(eth0.flags).toContain("UP");
    expect(eth0.mtu).toBe(1400);
    expect(eth0.addr_info.filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`)).toEqual(["192.0.2.10/24"]);
    expect(routes(c).find((r) => r.dst === "default")).toMatchObject({ gateway: "192.0.2.1", dev: "eth0" });
    expect(ping(c, "192.0.2.1")).toBe(true);

    teardownHostSide(state, hostOpts(host));
    expect(linkNames(host).sort()).toEqual(["br0", "lo"]);
    expect(linkNames(c)).toEqual(["lo"]);
  });

  it("connects two containers on one bridge", async () => {
    const host = fx.hostWithBridge("pair", "192.0.2.1/24");
    const a = fx.container();
    const b = fx.container();
    const stateA = connect(host, a, ["veth:bridge=br0,address=192.0.2.10/24,gateway=192.0.2.1"]);
    const stateB = connect(host, b, ["veth:bridge=br0,address=192.0.2.11/24,gateway=192.0.2.1"]);
    expect(stateA.veths[0]!.hostName).not.toBe(stateB.veths[0]!.hostName);

    expect(ping(a, "192.0.2.11")).toBe(true);
    expect(ping(b, "192.0.2.10")).toBe(true);
    expect(ping(a, "192.0.2.1")).toBe(true);
    expect(ping(b, "192.0.2.1")).toBe(true);

    const stats = interfaceStats(a.pid);
    expect(stats.map((s) => s.name)).toEqual(["eth0"]);
    expect(stats[0]!.tx_packets).toBeGreaterThanOrEqual(2);
    expect(stats[0]!.rx_packets).toBeGreaterThanOrEqual(2);
    expect(stats[0]!.rx_bytes).toBeGreaterThan(0);

    // The usual order: the container ends, then the launcher tears down.
    await fx.stop(a);
    await fx.stop(b);
    teardownHostSide(stateA, hostOpts(host));
    teardownHostSide(stateB, hostOpts(host));
    expect(linkNames(host).sort()).toEqual(["br0", "lo"]);
  });

  it("sets the MAC address and static routes", () => {
    const host = fx.hostWithBridge("routes", "192.0.2.1/24");
    const c = fx.container();
    const state = connect(host, c, ["veth:bridge=br0,name=net0,address=192.0.2.20/24,mac=02:00:c0:00:02:14,route=198.51.100.0/24@192.0.2.254,route=203.0.113.0/24"]);

    expect(addrs(c, "net0").address).toBe("02:00:c0:00:02:14");
    const table = routes(c);
    expect(table.find((r) => r.dst === "198.51.100.0/24")).toMatchObject({ gateway: "192.0.2.254", dev: "net0" });
    expect(table.find((r) => r.dst === "203.0.113.0/24")).toMatchObject({ dev: "net0", scope: "link" });
    expect(table.find((r) => r.dst === "default")).toBeUndefined();

    teardownHostSide(state, hostOpts(host));
  });

  it("takes the bridge's MTU when none is given", () => {
    const host = fx.hostWithBridge("mtu", "192.0.2.1/24");
    run(["ip", "-n", host, "link", "set", "br0", "mtu", "1450"]);
    const c = fx.container();
    const state = connect(host, c, ["veth:bridge=br0"]);
    expect(addrs(c, "eth0").mtu).toBe(1450);
    expect(links(host).find((l) => l.ifname === state.veths[0]!.hostName)!.mtu).toBe(1450);
    teardownHostSide(state, hostOpts(host));
  });

  it("teardown after the container ended leaves only the bridge", async () => {
    const host = fx.hostWithBridge("ended", "192.0.2.1/24");
    const c = fx.container();
    const state = connect(host, c, ["veth:bridge=br0,address=192.0.2.30/24"]);
    await fx.stop(c);
    teardownHostSide(state, hostOpts(host));
    expect(linkNames(host).sort()).toEqual(["br0", "lo"]);
    // Teardown twice is harmless: there is nothing left to remove.
    teardownHostSide(state, hostOpts(host));
  });

  it("teardown does not delete an interface that took the host end's index", () => {
    const host = fx.hostWithBridge("reuse", "192.0.2.1/24");
    const c = fx.container();
    const state = connect(host, c, ["veth:bridge=br0"]);
    const recorded = { ...state.veths[0]!, hostName: "nsvdeadbeef" };
    teardownHostSide({ ...state, veths: [recorded] }, hostOpts(host));
    expect(linkNames(host)).toContain(state.veths[0]!.hostName);
    teardownHostSide(state, hostOpts(host));
  });
});

describe("loopback", () => {
  it("is up in a new network namespace", () => {
    const host = fx.netns("lo");
    const c = fx.container();
    const state = connect(host, c, []);
    expect(state.loopback).toBe(true);
    expect(addrs(c, "lo").flags).toContain("UP");
    expect(ping(c, "127.0.0.1")).toBe(true);
    teardownHostSide(state, hostOpts(host));
    expect(linkNames(host)).toEqual(["lo"]);
  });
});

describe("netns", () => {
  it("veth into a joined namespace is removed by teardown", async () => {
    const host = fx.hostWithBridge("join", "192.0.2.1/24");
    const shared = fx.netns("shared");
    const c = fx.containerIn(shared);
    const plan = parseNetworkOptions([`netns:/run/netns/${shared}`, "veth:bridge=br0,address=192.0.2.40/24"], undefined, undefined);
    expect(plan.loopback).toBe(false);
    const state = setupHostSide(plan, c.pid, hostOpts(host));
    inside(c, state);
    expect(linkNames(shared).sort()).toEqual(["eth0", "lo"]);
    // The joined namespace's lo is its owner's business.
    expect(addrs(shared, "lo").flags).not.toContain("UP");

    await fx.stop(c);
    teardownHostSide(state, hostOpts(host));
    expect(linkNames(shared)).toEqual(["lo"]);
    expect(linkNames(host).sort()).toEqual(["br0", "lo"]);
  });
});

describe("netDevices", () => {
  it("move into the container renamed, with addresses, up", async () => {
    const host = fx.netns("nd");
    run(["ip", "-n", host, "link", "add", "nd0", "type", "veth", "peer", "name", "nd0peer"]);
    run(["ip", "-n", host, "addr", "add", "198.51.100.5/24", "dev", "nd0"]);
    run(["ip", "-n", host, "link", "set", "nd0", "up"]);
    const c = fx.container();

    const state = connect(host, c, [], { nd0: { name: "ctr0" } });
    expect(linkNames(host).sort()).toEqual(["lo", "nd0peer"]);
    const ctr0 = addrs(c, "ctr0");
    expect(ctr0.flags).toContain("UP");
    expect(ctr0.addr_info.filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`)).toEqual(["198.51.100.5/24"]);
    expect(state.netDevices[0]).toMatchObject({ hostName: "nd0", name: "ctr0", kind: "veth", wasUp: true, addresses: ["198.51.100.5/24"] });

    // A virtual device dies with the container's namespace, its peer with it; teardown has nothing to wait for.
    await fx.stop(c);
    const started = Date.now();
    teardownHostSide(state, hostOpts(host));
    expect(Date.now() - started).toBeLessThan(1000);
    for (let i = 0; i < 100 && linkNames(host).length > 1; i++) Bun.sleepSync(20);
    expect(linkNames(host)).toEqual(["lo"]);
  });

  it("a name template is numbered by the kernel", () => {
    const host = fx.netns("ndtpl");
    run(["ip", "-n", host, "link", "add", "nd1", "type", "veth", "peer", "name", "nd1peer"]);
    const c = fx.container();
    const state = connect(host, c, [], { nd1: { name: "net%d" } });
    expect(state.netDevices[0]!.name).toBe("net0");
    expect(linkNames(c).sort()).toEqual(["lo", "net0"]);
  });

  it("teardown renames a returned physical device back", () => {
    // No physical device may be moved on this machine, and the kernel returns
    // those to the initial namespace, which tests must not touch. So this test
    // lays out what the kernel leaves behind by hand: a device without a kind
    // in the state, found under its container name with its MAC.
    const host = fx.netns("ndback");
    run(["ip", "-n", host, "link", "add", "ctr5", "address", "02:00:c6:33:64:05", "type", "veth", "peer", "name", "ctr5peer"]);
    const index = links(host).find((l) => l.ifname === "ctr5")!.ifindex;

    const state: NetworkState = {
      containerPid: 0,
      containerNetns: { dev: 0, ino: 0 },
      joinedNetns: false,
      loopback: true,
      veths: [],
      netDevices: [
        {
          origin: 'linux.netDevices["eth5"]',
          hostName: "eth5",
          hostIndex: index,
          name: "ctr5",
          containerIndex: index,
          mac: "02:00:c6:33:64:05",
          wasUp: true,
          addresses: ["198.51.100.6/24"],
        },
      ],
    };
    teardownHostSide(state, hostOpts(host));

    const back = addrs(host, "eth5");
    expect(back.flags).toContain("UP");
    expect(back.addr_info.filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`)).toEqual(["198.51.100.6/24"]);
  });

  it("teardown reports a physical device that does not come back", () => {
    const host = fx.netns("ndlost");
    const state: NetworkState = {
      containerPid: 0,
      containerNetns: { dev: 0, ino: 0 },
      joinedNetns: false,
      loopback: true,
      veths: [],
      netDevices: [{ origin: 'linux.netDevices["eth6"]', hostName: "eth6", hostIndex: 999, name: "ctr6", containerIndex: 999, mac: "02:00:c6:33:64:06", wasUp: false, addresses: [] }],
    };
    const started = Date.now();
    const message = errorOf(() => teardownHostSide(state, hostOpts(host)));
    expect(message).toMatch(/^network teardown: linux.netDevices\["eth6"\]: interface "ctr6" has not come back to the host network namespace/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
  }, 15_000);
});

describe("bad options", () => {
  it("a missing bridge fails and leaves nothing", () => {
    const host = fx.hostWithBridge("nobridge", "192.0.2.1/24");
    const c = fx.container();
    const plan = parseNetworkOptions(["veth:bridge=br9"], undefined, undefined);
    expect(errorOf(() => setupHostSide(plan, c.pid, hostOpts(host)))).toBe('--network "veth:bridge=br9": bridge "br9" not found in the host network namespace');
    expect(linkNames(host).sort()).toEqual(["br0", "lo"]);
    expect(linkNames(c)).toEqual(["lo"]);
  });

  it("an interface that is not a bridge is rejected", () => {
    const host = fx.netns("notbridge");
    run(["ip", "-n", host, "link", "add", "va", "type", "veth", "peer", "name", "vb"]);
    const c = fx.container();
    const plan = parseNetworkOptions(["veth:bridge=va"], undefined, undefined);
    expect(errorOf(() => setupHostSide(plan, c.pid, hostOpts(host)))).toBe('--network "veth:bridge=va": "va" is not a bridge (its kind is veth)');
    expect(linkNames(host).sort()).toEqual(["lo", "va", "vb"]);
  });

  it("a missing netDevice fails before anything is made", () => {
    const host = fx.hostWithBridge("nodev", "192.0.2.1/24");
    const c = fx.container();
    const plan = parseNetworkOptions(["veth:bridge=br0"], undefined, { eth9: {} });
    expect(errorOf(() => setupHostSide(plan, c.pid, hostOpts(host)))).toBe('linux.netDevices["eth9"]: interface "eth9" not found in the host network namespace');
    expect(linkNames(host).sort()).toEqual(["br0", "lo"]);
    expect(linkNames(c)).toEqual(["lo"]);
  });

  it("a name taken in the container undoes the veth and the moved devices", () => {
    const host = fx.hostWithBridge("taken", "192.0.2.1/24");
    run(["ip", "-n", host, "link", "add", "nda", "type", "veth", "peer", "name", "ndapeer"]);
    run(["ip", "-n", host, "link", "add", "ndb", "type", "veth", "peer", "name", "ndbpeer"]);
    run(["ip", "-n", host, "addr", "add", "198.51.100.7/24", "dev", "nda"]);
    run(["ip", "-n", host, "link", "set", "nda", "up"]);
    const shared = fx.netns("taken-ctr");
    run(["ip", "-n", shared, "link", "add", "ctr1", "type", "veth", "peer", "name", "other"]);
    const c = fx.containerIn(shared);

    // nda moves in first; ndb then finds its name taken, so both the veth and nda must come back out.
    const plan = parseNetworkOptions(["veth:bridge=br0"], undefined, { nda: { name: "ctra" }, ndb: { name: "ctr1" } });
    const message = errorOf(() => setupHostSide(plan, c.pid, hostOpts(host)));
    expect(message).toBe('linux.netDevices["ndb"].name: interface "ctr1" already exists in the container\'s network namespace');

    expect(linkNames(host).sort()).toEqual(["br0", "lo", "nda", "ndapeer", "ndb", "ndbpeer"]);
    const nda = addrs(host, "nda");
    expect(nda.flags).toContain("UP");
    expect(nda.addr_info.filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`)).toEqual(["198.51.100.7/24"]);
    expect(linkNames(shared).sort()).toEqual(["ctr1", "lo", "other"]);
  });

  it("a container in the host namespace is refused", () => {
    const host = fx.hostWithBridge("samens", "192.0.2.1/24");
    const c = fx.containerIn(host);
    const plan = parseNetworkOptions(["veth:bridge=br0"], undefined, undefined);
    expect(errorOf(() => setupHostSide(plan, c.pid, hostOpts(host)))).toMatch(/is in the host network namespace; the container needs a network namespace of its own/);
    expect(linkNames(host).sort()).toEqual(["br0", "lo"]);
  });

  it("a name taken inside fails in setupContainerSide and teardown cleans up", () => {
    const host = fx.hostWithBridge("inside", "192.0.2.1/24");
    const shared = fx.netns("inside-ctr");
    run(["ip", "-n", shared, "link", "add", "eth0", "type", "veth", "peer", "name", "other"]);
    const c = fx.containerIn(shared);
    const plan = parseNetworkOptions(["veth:bridge=br0"], undefined, undefined);
    const state = setupHostSide(plan, c.pid, hostOpts(host));
    expect(errorOf(() => inside(c, state))).toBe('--network "veth:bridge=br0": interface "eth0" already exists in the container\'s network namespace');
    teardownHostSide(state, hostOpts(host));
    expect(linkNames(host).sort()).toEqual(["br0", "lo"]);
    expect(linkNames(shared).sort()).toEqual(["eth0", "lo", "other"]);
  });

  it("setupContainerSide refuses to run outside the container", () => {
    const host = fx.hostWithBridge("outside", "192.0.2.1/24");
    const c = fx.container();
    const state = setupHostSide(parseNetworkOptions(["veth:bridge=br0"], undefined, undefined), c.pid, hostOpts(host));
    expect(errorOf(() => setupContainerSide(state))).toMatch(/called outside the container's network namespace/);
    teardownHostSide(state, hostOpts(host));
    expect(linkNames(host).sort()).toEqual(["br0", "lo"]);
  });
});
