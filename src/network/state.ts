// What setupHostSide made, handed to the init stage (setupContainerSide) and
// kept in the container's state for teardownHostSide. Plain JSON: it crosses
// the sync pipe and is written to the state directory.
import type { NamespaceId } from "../netlink/netns.ts";
import type { RouteOption } from "./options.ts";

/** A veth pair that setupHostSide created. */
export interface VethState {
  origin: string;
  bridge: string;
  /** The host end: random name, and its ifindex, so that teardown deletes only this link. */
  hostName: string;
  hostIndex: number;
  /** Temporary name of the container end until setupContainerSide renames it. */
  peerName: string;
  /** Final name of the container end, such as "eth0". */
  name: string;
  addresses: string[];
  gateways: string[];
  routes: RouteOption[];
  mtu: number;
}

/** A host interface that setupHostSide moved into the container (`linux.netDevices`). */
export interface NetDeviceState {
  origin: string;
  /** Name and ifindex in the host network namespace before the move. */
  hostName: string;
  hostIndex: number;
  /** Name and ifindex in the container's network namespace (a "%d" template resolved). */
  name: string;
  containerIndex: number;
  /** IFLA_INFO_KIND; absent for a physical device, the only kind the kernel returns to the host. */
  kind?: string;
  mac?: string;
  /** Whether it was up on the host, to restore when it comes back. */
  wasUp: boolean;
  /** Permanent addresses of global scope, taken along into the container (the move drops them). */
  addresses: string[];
}

export interface NetworkState {
  containerPid: number;
  /** Identity of the container's network namespace, checked by setupContainerSide. */
  containerNetns: NamespaceId;
  /** True when the container joined an existing namespace, which outlives it. */
  joinedNetns: boolean;
  loopback: boolean;
  veths: VethState[];
  netDevices: NetDeviceState[];
}
