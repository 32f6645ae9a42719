// Network interfaces over rtnetlink (RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK):
// create veth pairs and bridges, delete, change flags, name, MTU, MAC, bridge
// and network namespace, look up and list with their counters.
import {
  AF_UNSPEC,
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_INFO_SLAVE_KIND,
  IFLA_LINKINFO,
  IFLA_MASTER,
  IFLA_MTU,
  IFLA_NET_NS_FD,
  IFLA_NET_NS_PID,
  IFLA_OPERSTATE,
  IFLA_PERM_ADDRESS,
  IFLA_STATS64,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
  VETH_INFO_PEER,
} from "./constants.ts";
import { formatMac, parseMac } from "./ip.ts";
import {
  attr,
  type Attribute,
  attributeMap,
  decodeIfInfoMsg,
  encodeIfInfoMsg,
  IFINFOMSG_SIZE,
  type NetlinkMessage,
  readString,
  type Request,
  readU32,
  readU64,
  readU8,
} from "./message.ts";
import { NetlinkError, type NetlinkSocket } from "./socket.ts";
import { constants } from "node:os";

/** Enough to address a link in a request and to name it in an error. */
export interface LinkRef {
  index: number;
  name: string;
}

/** The counters of struct rtnl_link_stats64 that container stats report, with the kernel's names. */
export interface LinkStats {
  rx_packets: number;
  tx_packets: number;
  rx_bytes: number;
  tx_bytes: number;
  rx_errors: number;
  tx_errors: number;
  rx_dropped: number;
  tx_dropped: number;
}

/** A network interface as RTM_NEWLINK describes it. */
export interface Link extends LinkRef {
  /** IFF_* flags. */
  flags: number;
  up: boolean;
  mtu?: number;
  /** IFLA_ADDRESS: the current link-layer address, such as "02:42:c0:00:02:0a". */
  mac?: string;
  /** IFLA_PERM_ADDRESS: the hardware's own address, for devices that have one. */
  permanentMac?: string;
  /** Index of the bridge (or other master) the link is attached to. */
  master?: number;
  /** IFLA_INFO_KIND: "veth", "bridge", ...; absent for physical devices. */
  kind?: string;
  /** IFLA_INFO_SLAVE_KIND: "bridge" for a bridge port. */
  slaveKind?: string;
  /** IF_OPER_* state (RFC 2863): 6 is up, 2 is down. */
  operstate?: number;
  stats?: LinkStats;
}

/** A network namespace to move a link into: by a process in it, or by an open namespace file. */
export type NetnsTarget = { pid: number } | { fd: number };

function netnsAttribute(target: NetnsTarget): Attribute {
  return "pid" in target ? attr.u32(IFLA_NET_NS_PID, target.pid) : attr.u32(IFLA_NET_NS_FD, target.fd);
}

function macAttribute(mac: string): Attribute {
  const bytes = parseMac(mac);
  if (!bytes) throw new RangeError(`invalid MAC address "${mac}": expected six hex pairs such as 02:00:c0:00:02:0a`);
  return attr.bytes(IFLA_ADDRESS, bytes);
}

const STATS64_FIELDS = ["rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors", "rx_dropped", "tx_dropped"] as const;

/** Reads the first eight u64 counters of struct rtnl_link_stats64, which come in this order. */
export function decodeStats64(value: Uint8Array): LinkStats {
  const stats = {} as LinkStats;
  STATS64_FIELDS.forEach((field, i) => {
    stats[field] = readU64(value, 8 * i);
  });
  return stats;
}

/** Decodes an RTM_NEWLINK message (a reply to RTM_GETLINK). */
export function decodeLink(m: NetlinkMessage): Link {
  const info = decodeIfInfoMsg(m.payload);
  const attrs = attributeMap(m.payload.subarray(IFINFOMSG_SIZE));
  const link: Link = {
    index: info.index,
    name: readString(attrs.get(IFLA_IFNAME) ?? new Uint8Array()),
    flags: info.flags,
    up: (info.flags & IFF_UP) !== 0,
  };

  const mtu = attrs.get(IFLA_MTU);
  if (mtu) link.mtu = readU32(mtu);
  const mac = attrs.get(IFLA_ADDRESS);
  if (mac) link.mac = formatMac(mac);
  const permanentMac = attrs.get(IFLA_PERM_ADDRESS);
  if (permanentMac) link.permanentMac = formatMac(permanentMac);
  const master = attrs.get(IFLA_MASTER);
  if (master) link.master = readU32(master);
  const operstate = attrs.get(IFLA_OPERSTATE);
  if (operstate) link.operstate = readU8(operstate);
  const stats = attrs.get(IFLA_STATS64);
  if (stats) link.stats = decodeStats64(stats);

  const linkinfo = attrs.get(IFLA_LINKINFO);
  if (linkinfo) {
    const nested = attributeMap(linkinfo);
    const kind = nested.get(IFLA_INFO_KIND);
    if (kind) link.kind = readString(kind);
    const slaveKind = nested.get(IFLA_INFO_SLAVE_KIND);
    if (slaveKind) link.slaveKind = readString(slaveKind);
  }
  return link;
}

// Request builders: each returns the message that the operation below sends,
// so that unit tests can check the bytes without a socket.

const CREATE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
const CHANGE = NLM_F_REQUEST | NLM_F_ACK;

export function listLinksRequest(): Request {
  return { type: RTM_GETLINK, flags: NLM_F_REQUEST | NLM_F_DUMP, header: encodeIfInfoMsg({ family: AF_UNSPEC }), attributes: [] };
}

export function getLinkRequest(nameOrIndex: string | number): Request {
  const byName = typeof nameOrIndex === "string";
  return {
    type: RTM_GETLINK,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    header: encodeIfInfoMsg({ family: AF_UNSPEC, index: byName ? 0 : nameOrIndex }),
    attributes: byName ? [attr.string(IFLA_IFNAME, nameOrIndex)] : [],
    target: byName ? nameOrIndex : `ifindex ${nameOrIndex}`,
  };
}

/** Settings of one end of a new veth pair. */
export interface VethEnd {
  name: string;
  mtu?: number;
  mac?: string;
  /** Namespace to create this end in; the socket's namespace when absent. */
  netns?: NetnsTarget;
}

function endAttributes(end: VethEnd): Attribute[] {
  const list = [attr.string(IFLA_IFNAME, end.name)];
  if (end.mtu !== undefined) list.push(attr.u32(IFLA_MTU, end.mtu));
  if (end.mac !== undefined) list.push(macAttribute(end.mac));
  if (end.netns !== undefined) list.push(netnsAttribute(end.netns));
  return list;
}

/** Builds the RTM_NEWLINK request for a veth pair. The peer's settings go in VETH_INFO_PEER, as an ifinfomsg followed by link attributes. */
export function addVethRequest(end: VethEnd, peer: VethEnd): Request {
  const peerInfo = attr.nested(VETH_INFO_PEER, endAttributes(peer), encodeIfInfoMsg({ family: AF_UNSPEC }));
  const linkinfo = attr.nested(IFLA_LINKINFO, [attr.string(IFLA_INFO_KIND, "veth"), attr.nested(IFLA_INFO_DATA, [peerInfo])]);
  return { type: RTM_NEWLINK, flags: CREATE, header: encodeIfInfoMsg({ family: AF_UNSPEC }), attributes: [...endAttributes(end), linkinfo], target: end.name };
}

export function addBridgeRequest(name: string, options: { mtu?: number } = {}): Request {
  const attributes = [attr.string(IFLA_IFNAME, name), attr.nested(IFLA_LINKINFO, [attr.string(IFLA_INFO_KIND, "bridge")])];
  if (options.mtu !== undefined) attributes.push(attr.u32(IFLA_MTU, options.mtu));
  return { type: RTM_NEWLINK, flags: CREATE, header: encodeIfInfoMsg({ family: AF_UNSPEC }), attributes, target: name };
}

export function deleteLinkRequest(link: LinkRef): Request {
  return { type: RTM_DELLINK, flags: CHANGE, header: encodeIfInfoMsg({ family: AF_UNSPEC, index: link.index }), attributes: [], target: link.name };
}

/**
 * Changes an existing link: RTM_NEWLINK without NLM_F_CREATE, as `ip link set`
 * sends it. Only the flag bits in change are changed, to their value in flags.
 */
export function changeLinkRequest(link: LinkRef, attributes: Attribute[], flags = 0, change = 0): Request {
  return { type: RTM_NEWLINK, flags: CHANGE, header: encodeIfInfoMsg({ family: AF_UNSPEC, index: link.index, flags, change }), attributes, target: link.name };
}

export function setLinkUpRequest(link: LinkRef, up: boolean): Request {
  return changeLinkRequest(link, [], up ? IFF_UP : 0, IFF_UP);
}

export function setLinkMasterRequest(link: LinkRef, master: LinkRef | null): Request {
  return changeLinkRequest(link, [attr.u32(IFLA_MASTER, master === null ? 0 : master.index)]);
}

export function moveLinkRequest(link: LinkRef, netns: NetnsTarget, newName?: string): Request {
  const attributes = [netnsAttribute(netns)];
  if (newName !== undefined) attributes.push(attr.string(IFLA_IFNAME, newName));
  return changeLinkRequest(link, attributes);
}

// Operations.

/** Lists every link in the socket's network namespace. */
export function listLinks(sock: NetlinkSocket): Link[] {
  return sock
    .request(listLinksRequest())
    .filter((m) => m.type === RTM_NEWLINK)
    .map(decodeLink);
}

/** Looks a link up by name or index; throws a NetlinkError with ENODEV if there is none. */
export function getLink(sock: NetlinkSocket, nameOrIndex: string | number): Link {
  const request = getLinkRequest(nameOrIndex);
  const reply = sock.request(request).find((m) => m.type === RTM_NEWLINK);
  if (!reply) throw new NetlinkError(RTM_GETLINK, constants.errno.ENODEV, request.target, "no RTM_NEWLINK in the reply");
  return decodeLink(reply);
}

/** Like getLink, but returns undefined when no such link exists. */
export function findLink(sock: NetlinkSocket, nameOrIndex: string | number): Link | undefined {
  try {
    return getLink(sock, nameOrIndex);
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === constants.errno.ENODEV) return undefined;
    throw e;
  }
}

/**
 * Creates a veth pair in one request; the peer can be created directly in
 * another namespace. Both ends start down. Fails with EEXIST if either name
 * is taken in its namespace.
 */
export function addVeth(sock: NetlinkSocket, end: VethEnd, peer: VethEnd): void {
  sock.request(addVethRequest(end, peer));
}

/** Creates a bridge, down. */
export function addBridge(sock: NetlinkSocket, name: string, options: { mtu?: number } = {}): void {
  sock.request(addBridgeRequest(name, options));
}

/** Deletes a link; deleting one end of a veth pair deletes both. */
export function deleteLink(sock: NetlinkSocket, link: LinkRef): void {
  sock.request(deleteLinkRequest(link));
}

export function setLinkUp(sock: NetlinkSocket, link: LinkRef): void {
  sock.request(setLinkUpRequest(link, true));
}

export function setLinkDown(sock: NetlinkSocket, link: LinkRef): void {
  sock.request(setLinkUpRequest(link, false));
}

/** Renames a link; the kernel refuses (EBUSY) while it is up. */
export function renameLink(sock: NetlinkSocket, link: LinkRef, name: string): void {
  sock.request(changeLinkRequest(link, [attr.string(IFLA_IFNAME, name)]));
}

export function setLinkMtu(sock: NetlinkSocket, link: LinkRef, mtu: number): void {
  sock.request(changeLinkRequest(link, [attr.u32(IFLA_MTU, mtu)]));
}

export function setLinkMac(sock: NetlinkSocket, link: LinkRef, mac: string): void {
  sock.request(changeLinkRequest(link, [macAttribute(mac)]));
}

/** Attaches a link to a bridge as a port. */
export function setLinkMaster(sock: NetlinkSocket, link: LinkRef, bridge: LinkRef): void {
  sock.request(setLinkMasterRequest(link, bridge));
}

/** Detaches a link from its bridge (IFLA_MASTER 0). */
export function detachLink(sock: NetlinkSocket, link: LinkRef): void {
  sock.request(setLinkMasterRequest(link, null));
}

/**
 * Moves a link into another network namespace, renaming it in the same
 * request when newName is given, so that its old name never has to be free
 * in the target. A newName with "%d" lets the kernel pick a free name.
 * The kernel brings the link down and drops its addresses on the way.
 */
export function moveLink(sock: NetlinkSocket, link: LinkRef, netns: NetnsTarget, newName?: string): void {
  sock.request(moveLinkRequest(link, netns, newName));
}
