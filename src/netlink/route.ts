// Routes of the main table over rtnetlink (RTM_NEWROUTE, RTM_DELROUTE,
// RTM_GETROUTE): default and static routes, IPv4 and IPv6, through a
// gateway or straight out of a link.
import {
  AF_INET6,
  AF_UNSPEC,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  RT_SCOPE_LINK,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  RTA_DST,
  RTA_GATEWAY,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
  RTM_DELROUTE,
  RTM_GETROUTE,
  RTM_NEWROUTE,
  RTN_UNICAST,
  RTPROT_BOOT,
} from "./constants.ts";
import { formatIp, type IpAddress, type IpPrefix, networkOf, parseIp, parsePrefix } from "./ip.ts";
import type { LinkRef } from "./link.ts";
import { attr, type Attribute, attributeMap, decodeRtMsg, encodeRtMsg, type NetlinkMessage, readU32, type Request, RTMSG_SIZE } from "./message.ts";
import type { NetlinkSocket } from "./socket.ts";

/** RT_SCOPE_NOWHERE in a delete request matches a route of any scope. */
const RT_SCOPE_NOWHERE = 255;

/** A route to add or delete. */
export interface RouteSpec {
  /** "default", or a prefix such as "198.51.100.0/24". */
  destination: string;
  /** Next hop; without one the route points straight out of link. */
  gateway?: string;
  /** Outgoing link (RTA_OIF); required when there is no gateway. */
  link?: LinkRef;
  /** RTA_PRIORITY, the route metric. */
  metric?: number;
}

/** A route of a routing table as RTM_NEWROUTE describes it. */
export interface Route {
  family: number;
  /** "ADDRESS/LENGTH"; 0.0.0.0/0 or ::/0 for a default route. */
  destination: string;
  gateway?: string;
  /** Index of the outgoing link. */
  oif?: number;
  table: number;
  /** RTPROT_*: 2 kernel, 3 boot, 4 static. */
  protocol: number;
  scope: number;
  /** RTN_*: 1 unicast, 2 local, ... */
  type: number;
  priority?: number;
  preferredSource?: string;
}

interface ResolvedRoute {
  destination: IpPrefix;
  gateway?: IpAddress;
}

function resolve(spec: RouteSpec): ResolvedRoute {
  const gateway = spec.gateway === undefined ? undefined : parseIp(spec.gateway);
  if (spec.gateway !== undefined && !gateway) throw new RangeError(`invalid gateway "${spec.gateway}": expected an IPv4 or IPv6 address`);
  if (!gateway && !spec.link) throw new RangeError(`route to ${spec.destination} needs a gateway or a link`);

  let destination: IpPrefix | undefined;
  if (spec.destination === "default") {
    if (!gateway) throw new RangeError("a default route without a gateway needs an explicit family: use 0.0.0.0/0 or ::/0");
    destination = { family: gateway.family, bytes: new Uint8Array(gateway.bytes.length), prefixLength: 0 };
  } else {
    destination = parsePrefix(spec.destination);
    if (!destination) throw new RangeError(`invalid route destination "${spec.destination}": expected "default" or ADDRESS/LENGTH`);
  }
  if (gateway && gateway.family !== destination.family) {
    throw new RangeError(`route to ${spec.destination}: gateway ${spec.gateway} is of the other address family`);
  }
  return gateway ? { destination, gateway } : { destination };
}

function describe(spec: RouteSpec): string {
  let text = spec.destination;
  if (spec.gateway !== undefined) text += ` via ${spec.gateway}`;
  if (spec.link) text += ` dev ${spec.link.name}`;
  return text;
}

function routeAttributes(spec: RouteSpec, r: ResolvedRoute): Attribute[] {
  const attrs: Attribute[] = [];
  if (r.destination.prefixLength > 0) attrs.push(attr.bytes(RTA_DST, networkOf(r.destination)));
  if (r.gateway) attrs.push(attr.bytes(RTA_GATEWAY, r.gateway.bytes));
  if (spec.link) attrs.push(attr.u32(RTA_OIF, spec.link.index));
  if (spec.metric !== undefined) attrs.push(attr.u32(RTA_PRIORITY, spec.metric));
  return attrs;
}

/**
 * Builds an RTM_NEWROUTE request. An IPv4 route without a gateway gets link
 * scope, as `ip route add PREFIX dev LINK` does. IPv6 routes are always of
 * global scope.
 */
export function addRouteRequest(spec: RouteSpec): Request {
  const r = resolve(spec);
  const family = r.destination.family;
  const scope = r.gateway || family === AF_INET6 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  const header = encodeRtMsg({
    family,
    dstLength: r.destination.prefixLength,
    table: RT_TABLE_MAIN,
    protocol: RTPROT_BOOT,
    scope,
    type: RTN_UNICAST,
  });
  return { type: RTM_NEWROUTE, flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, header, attributes: routeAttributes(spec, r), target: describe(spec) };
}

/** Builds an RTM_DELROUTE request that matches a route of the main table of any scope and protocol. */
export function deleteRouteRequest(spec: RouteSpec): Request {
  const r = resolve(spec);
  const header = encodeRtMsg({
    family: r.destination.family,
    dstLength: r.destination.prefixLength,
    table: RT_TABLE_MAIN,
    scope: RT_SCOPE_NOWHERE,
  });
  return { type: RTM_DELROUTE, flags: NLM_F_REQUEST | NLM_F_ACK, header, attributes: routeAttributes(spec, r), target: describe(spec) };
}

export function listRoutesRequest(family = AF_UNSPEC): Request {
  return { type: RTM_GETROUTE, flags: NLM_F_REQUEST | NLM_F_DUMP, header: encodeRtMsg({ family }), attributes: [] };
}

/**
 * Adds a route to the main table. The gateway must be reachable already:
 * add the address of its subnet and bring the link up first.
 */
export function addRoute(sock: NetlinkSocket, spec: RouteSpec): void {
  sock.request(addRouteRequest(spec));
}

export function deleteRoute(sock: NetlinkSocket, spec: RouteSpec): void {
  sock.request(deleteRouteRequest(spec));
}

/** Decodes an RTM_NEWROUTE message (a reply to RTM_GETROUTE). */
export function decodeRoute(m: NetlinkMessage): Route {
  const info = decodeRtMsg(m.payload);
  const attrs = attributeMap(m.payload.subarray(RTMSG_SIZE));
  const size = info.family === AF_INET6 ? 16 : 4;
  const dst = attrs.get(RTA_DST) ?? new Uint8Array(size);
  const table = attrs.get(RTA_TABLE);
  const route: Route = {
    family: info.family,
    destination: `${formatIp(dst)}/${info.dstLength}`,
    table: table ? readU32(table) : info.table,
    protocol: info.protocol,
    scope: info.scope,
    type: info.type,
  };
  const gateway = attrs.get(RTA_GATEWAY);
  if (gateway) route.gateway = formatIp(gateway);
  const oif = attrs.get(RTA_OIF);
  if (oif) route.oif = readU32(oif);
  const priority = attrs.get(RTA_PRIORITY);
  if (priority) route.priority = readU32(priority);
  const prefsrc = attrs.get(RTA_PREFSRC);
  if (prefsrc) route.preferredSource = formatIp(prefsrc);
  return route;
}

/** Lists the routes of one table (the main table by default), optionally of one family. */
export function listRoutes(sock: NetlinkSocket, filter: { family?: number; table?: number } = {}): Route[] {
  const table = filter.table ?? RT_TABLE_MAIN;
  return sock
    .request(listRoutesRequest(filter.family))
    .filter((m) => m.type === RTM_NEWROUTE)
    .map(decodeRoute)
    .filter((r) => r.table === table && (filter.family === undefined || r.family === filter.family));
}
