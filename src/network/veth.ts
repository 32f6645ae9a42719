// The veth strategy: a pair whose host end joins a bridge on the host and
// whose other end lives in the container as, say, eth0, with addresses and
// routes. The host side creates the pair with the container end already in
// the container's namespace; the container side names and configures it.
import { constants } from "node:os";
import { addAddress } from "../netlink/address.ts";
import { addVeth, deleteLink, findLink, getLink, type Link, renameLink, setLinkMaster, setLinkUp } from "../netlink/link.ts";
import { addRoute } from "../netlink/route.ts";
import { NetlinkError, type NetlinkSocket } from "../netlink/socket.ts";
import { NetworkError } from "./errors.ts";
import { HOST_SUFFIX_LENGTH, type VethPlan } from "./options.ts";
import type { VethState } from "./state.ts";

/** Prefix of the container end's temporary name, before setupContainerSide renames it. */
const PEER_PREFIX = "nsc";

/** How many random names to try before giving up on EEXIST. */
const NAME_ATTEMPTS = 8;

function randomSuffix(): string {
  const n = crypto.getRandomValues(new Uint32Array(1))[0]!;
  return n.toString(16).padStart(HOST_SUFFIX_LENGTH, "0");
}

/** Rewrites an error of one step as a NetworkError naming the option. */
export function optionError(origin: string, e: unknown): NetworkError {
  if (e instanceof NetworkError) return e;
  return new NetworkError(origin, e instanceof Error ? e.message : String(e), { cause: e });
}

/** Looks up the bridge of a veth plan in the host network namespace and checks that it is one. */
export function findBridge(host: NetlinkSocket, plan: VethPlan): Link {
  const bridge = findLink(host, plan.bridge);
  if (!bridge) throw new NetworkError(plan.origin, `bridge "${plan.bridge}" not found in the host network namespace`);
  if (bridge.kind !== "bridge") {
    throw new NetworkError(plan.origin, `"${plan.bridge}" is not a bridge (its kind is ${bridge.kind ?? "a physical device"})`);
  }
  return bridge;
}

/**
 * Creates the pair: the host end under prefix + 32 random bits, the other end
 * directly in the container's namespace (containerNetnsFd) under a temporary
 * name. Both ends get the veth's MTU, or the bridge's when none is given, so
 * that the bridge does not drop frames. A taken name is retried with fresh
 * random names.
 */
export function createVethPair(host: NetlinkSocket, plan: VethPlan, bridge: Link, containerNetnsFd: number): VethState {
  const mtu = plan.mtu ?? bridge.mtu ?? 1500;
  for (let attempt = 1; ; attempt++) {
    const suffix = randomSuffix();
    const hostName = `${plan.hostPrefix}${suffix}`;
    const peerName = `${PEER_PREFIX}${suffix}`;
    const peer = plan.mac === undefined ? { name: peerName, mtu, netns: { fd: containerNetnsFd } } : { name: peerName, mtu, mac: plan.mac, netns: { fd: containerNetnsFd } };
    try {
      addVeth(host, { name: hostName, mtu }, peer);
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === constants.errno.EEXIST && attempt < NAME_ATTEMPTS) continue;
      throw optionError(plan.origin, e);
    }
    const hostIndex = getLink(host, hostName).index;
    return {
      origin: plan.origin,
      bridge: plan.bridge,
      hostName,
      hostIndex,
      peerName,
      name: plan.name,
      addresses: plan.addresses,
      gateways: plan.gateways,
      routes: plan.routes,
      mtu,
    };
  }
}

/** Attaches the host end to its bridge and brings it up. */
export function attachHostEnd(host: NetlinkSocket, veth: VethState, bridge: Link): void {
  const hostEnd = { index: veth.hostIndex, name: veth.hostName };
  try {
    setLinkMaster(host, hostEnd, bridge);
    setLinkUp(host, hostEnd);
  } catch (e) {
    throw optionError(veth.origin, e);
  }
}

/**
 * Deletes the host end, which takes the container end with it. The link is
 * deleted only if the recorded ifindex still carries the recorded name: after
 * the container's namespace is gone the kernel has already removed the pair,
 * and the index may since belong to another interface.
 */
export function deleteHostEnd(host: NetlinkSocket, veth: VethState): void {
  const link = findLink(host, veth.hostIndex);
  if (!link || link.name !== veth.hostName) return;
  try {
    deleteLink(host, link);
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === constants.errno.ENODEV) return;
    throw e;
  }
}

/**
 * Inside the container: renames the container end, adds its addresses,
 * brings it up, then adds the default routes and the static routes (a
 * gateway is reachable only once its subnet's address is on an up link).
 */
export function configureContainerEnd(sock: NetlinkSocket, veth: VethState): void {
  const peer = findLink(sock, veth.peerName);
  if (!peer) throw new NetworkError(veth.origin, `the container end "${veth.peerName}" is not in the container's network namespace`);

  try {
    renameLink(sock, peer, veth.name);
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === constants.errno.EEXIST) {
      throw new NetworkError(veth.origin, `interface "${veth.name}" already exists in the container's network namespace`, { cause: e });
    }
    throw optionError(veth.origin, e);
  }

  const link = { index: peer.index, name: veth.name };
  try {
    for (const address of veth.addresses) addAddress(sock, link, address);
    setLinkUp(sock, link);
    for (const gateway of veth.gateways) addRoute(sock, { destination: "default", gateway, link });
    for (const route of veth.routes) {
      addRoute(sock, route.gateway === undefined ? { destination: route.destination, link } : { destination: route.destination, gateway: route.gateway, link });
    }
  } catch (e) {
    throw optionError(veth.origin, e);
  }
}
