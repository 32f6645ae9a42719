// Container networking: the entry points that the launcher and the init
// stage call. The launcher parses the options (parseNetworkOptions), builds
// the host side once the init stage exists in its namespaces
// (setupHostSide), and tears it down after the container ends
// (teardownHostSide). The init stage, already in the container's network
// namespace, configures the inside (setupContainerSide).
import { fstatSync } from "node:fs";
import { close, open, O_CLOEXEC, O_RDONLY } from "../ffi/libc.ts";
import { IFF_LOOPBACK } from "../netlink/constants.ts";
import { getLink, listLinks, setLinkUp } from "../netlink/link.ts";
import { namespaceId, type NamespaceId, sameNamespace, THREAD_NETNS } from "../netlink/netns.ts";
import { NetlinkSocket } from "../netlink/socket.ts";
import { NetworkError } from "./errors.ts";
import { configureNetDevice, findNetDevice, moveNetDeviceBack, moveNetDeviceIn, restoreReturnedNetDevice } from "./netdevices.ts";
import type { NetworkPlan } from "./options.ts";
import type { NetworkState } from "./state.ts";
import { attachHostEnd, configureContainerEnd, createVethPair, deleteHostEnd, findBridge, optionError } from "./veth.ts";

export { NetworkError } from "./errors.ts";
export { NETWORK_ANNOTATION, networkNamespacePath, parseNetworkOptions } from "./options.ts";
export type { NetDevicePlan, NetworkPlan, RouteOption, VethPlan } from "./options.ts";
export type { NetDeviceState, NetworkState, VethState } from "./state.ts";

/** Location of the host side: the caller's network namespace unless hostNetns names another, as tests do. */
export interface HostOptions {
  hostNetns?: string;
}

/** How long teardown waits for the kernel to return physical netDevices. */
const NETDEVICE_RETURN_TIMEOUT_MS = 5000;

function openNamespace(path: string, origin: string): { fd: number; id: NamespaceId } {
  let fd: number;
  try {
    fd = open(path, O_RDONLY | O_CLOEXEC);
  } catch (e) {
    throw optionError(origin, e);
  }
  const st = fstatSync(fd);
  return { fd, id: { dev: st.dev, ino: st.ino } };
}

/**
 * Builds the host side in the launcher, before the init stage continues:
 * creates each veth pair with its container end in the namespace of
 * containerPid and its host end in a bridge, and moves the netDevices in.
 * containerPid must already be in the container's final network namespace.
 * On failure it removes what it made and throws a NetworkError naming the
 * option; nothing is left on the host.
 */
export function setupHostSide(plan: NetworkPlan, containerPid: number, opts: HostOptions = {}): NetworkState {
  const hostPath = opts.hostNetns ?? THREAD_NETNS;
  const containerPath = `/proc/${containerPid}/ns/net`;
  const container = openNamespace(containerPath, "network");
  const state: NetworkState = {
    containerPid,
    containerNetns: container.id,
    joinedNetns: plan.netnsPath !== undefined,
    loopback: plan.loopback,
    veths: [],
    netDevices: [],
  };

  let host: NetlinkSocket | undefined;
  let inside: NetlinkSocket | undefined;
  let hostNetnsFd = -1;
  try {
    if (sameNamespace(container.id, namespaceId(hostPath))) {
      throw new NetworkError("network", `process ${containerPid} is in the host network namespace; the container needs a network namespace of its own`);
    }
    host = NetlinkSocket.open(opts.hostNetns);

    // Look everything up first, so that a missing bridge or device fails before anything is made.
    const bridges = plan.veths.map((veth) => findBridge(host!, veth));
    const devices = plan.netDevices.map((device) => findNetDevice(host!, device));

    plan.veths.forEach((veth, i) => {
      const pair = createVethPair(host!, veth, bridges[i]!, container.fd);
      state.veths.push(pair);
      attachHostEnd(host!, pair, bridges[i]!);
    });

    if (plan.netDevices.length > 0) {
      inside = NetlinkSocket.open(containerPath);
      hostNetnsFd = open(hostPath, O_RDONLY | O_CLOEXEC);
    }
    plan.netDevices.forEach((device, i) => {
      const netns = { container: container.fd, host: hostNetnsFd };
      state.netDevices.push(moveNetDeviceIn(host!, inside!, netns, device, devices[i]!));
    });
    return state;
  } catch (e) {
    const failures = rollback(state, host, inside, hostNetnsFd);
    if (failures.length === 0) throw e;
    const undo = `undoing the network setup also failed: ${failures.join("; ")}`;
    if (e instanceof NetworkError) throw new NetworkError(e.option, `${e.detail}; ${undo}`, { cause: e });
    throw new NetworkError("network", `${e instanceof Error ? e.message : String(e)}; ${undo}`, { cause: e });
  } finally {
    inside?.close();
    host?.close();
    if (hostNetnsFd >= 0) close(hostNetnsFd);
    close(container.fd);
  }
}

/** Removes what a failed setupHostSide made; returns what could not be removed. */
function rollback(state: NetworkState, host: NetlinkSocket | undefined, inside: NetlinkSocket | undefined, hostNetnsFd: number): string[] {
  const failures: string[] = [];
  if (!host) return failures;
  if (inside) {
    for (const device of state.netDevices.toReversed()) {
      try {
        moveNetDeviceBack(inside, hostNetnsFd, host, device);
      } catch (e) {
        failures.push(`${device.origin}: ${e instanceof Error ? e.message : e}`);
      }
    }
  }
  for (const veth of state.veths.toReversed()) {
    try {
      deleteHostEnd(host, veth);
    } catch (e) {
      failures.push(`${veth.origin}: ${e instanceof Error ? e.message : e}`);
    }
  }
  return failures;
}

/**
 * Configures the inside in the init stage, whose calling thread is already
 * in the container's network namespace: brings lo up, names and addresses
 * each veth's container end and adds its routes, and brings the moved
 * netDevices up with their addresses. If it throws, the launcher should call
 * teardownHostSide.
 */
export function setupContainerSide(state: NetworkState): void {
  if (!sameNamespace(namespaceId(THREAD_NETNS), state.containerNetns)) {
    throw new NetworkError("network", "setupContainerSide was called outside the container's network namespace");
  }
  const sock = NetlinkSocket.open();
  try {
    if (state.loopback) {
      try {
        setLinkUp(sock, getLink(sock, "lo"));
      } catch (e) {
        throw optionError("loopback", e);
      }
    }
    for (const veth of state.veths) configureContainerEnd(sock, veth);
    for (const device of state.netDevices) configureNetDevice(sock, device);
  } finally {
    sock.close();
  }
}

/**
 * Undoes the host side after the container ended. Deletes the host end of
 * every veth that still exists; the kernel already removed the pairs whose
 * container namespace is gone. Gives each physical netDevice that the kernel
 * returned its host name, addresses and up state. Every step is tried, and
 * the failures are reported together in one NetworkError.
 */
export function teardownHostSide(state: NetworkState, opts: HostOptions = {}): void {
  // A container with only its loopback left nothing on the host side.
  if (state.veths.length === 0 && state.netDevices.length === 0) return;
  const failures: string[] = [];
  const host = NetlinkSocket.open(opts.hostNetns);
  try {
    for (const veth of state.veths) {
      try {
        deleteHostEnd(host, veth);
      } catch (e) {
        failures.push(`${veth.origin}: ${e instanceof Error ? e.message : e}`);
      }
    }

    // Devices moved into a joined namespace stay there: its owner manages them.
    if (!state.joinedNetns) {
      const deadline = Date.now() + NETDEVICE_RETURN_TIMEOUT_MS;
      for (const device of state.netDevices) {
        try {
          restoreReturnedNetDevice(host, device, deadline);
        } catch (e) {
          failures.push(e instanceof NetworkError ? e.message : `${device.origin}: ${e instanceof Error ? e.message : e}`);
        }
      }
    }
  } finally {
    host.close();
  }
  if (failures.length > 0) throw new NetworkError("network teardown", failures.join("; "));
}

/** Counters of one interface in the container, as `ns events --stats` reports them. */
export interface InterfaceStats {
  name: string;
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/**
 * Reads the counters of every interface but loopback in the network
 * namespace of containerPid. They are the container's view: rx is what the
 * container received.
 */
export function interfaceStats(containerPid: number): InterfaceStats[] {
  const sock = NetlinkSocket.open(`/proc/${containerPid}/ns/net`);
  try {
    return listLinks(sock)
      .filter((link) => !(link.flags & IFF_LOOPBACK) && link.stats)
      .map((link) => {
        const s = link.stats!;
        return {
          name: link.name,
          rx_bytes: s.rx_bytes,
          rx_packets: s.rx_packets,
          rx_errors: s.rx_errors,
          rx_dropped: s.rx_dropped,
          tx_bytes: s.tx_bytes,
          tx_packets: s.tx_packets,
          tx_errors: s.tx_errors,
          tx_dropped: s.tx_dropped,
        };
      });
  } finally {
    sock.close();
  }
}
