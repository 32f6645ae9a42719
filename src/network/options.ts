// Parsing and validation of the network options of a container: repeatable
// `--network SPEC` options, the `dev.ns.network` annotation and
// `linux.netDevices`. The syntax is documented in docs/networking.md.
// Everything here is checked before anything is created, so that a typo
// fails with one line naming the option and leaves nothing behind.
import { closeSync, openSync } from "node:fs";
import { ioctl } from "../ffi/libc.ts";
import { AF_INET, AF_INET6, IFNAMSIZ } from "../netlink/constants.ts";
import { type IpAddress, type IpPrefix, parseIp, parseMac, parsePrefix, prefixContains } from "../netlink/ip.ts";
import { CLONE_NEWNET, type NamespaceEntry } from "../namespaces.ts";
import { NetworkError } from "./errors.ts";

/** The annotation that carries network specs for OCI clients that can only pass config.json. */
export const NETWORK_ANNOTATION = "dev.ns.network";

/** Default prefix of the host end of a veth pair; a random 8-hex-digit suffix follows it. */
export const DEFAULT_HOST_PREFIX = "nsv";

/** Hex digits of the random suffix of a veth's host name: 32 bits. */
export const HOST_SUFFIX_LENGTH = 8;

/** A static route of a veth: out of the veth, through gateway when given. */
export interface RouteOption {
  /** "default" or ADDRESS/LENGTH. */
  destination: string;
  gateway?: string;
}

/** One `veth:` spec: a veth pair from the container into a bridge on the host. */
export interface VethPlan {
  /** The option as the user wrote it, for error messages. */
  origin: string;
  /** Bridge in the host network namespace that the host end joins. */
  bridge: string;
  /** Name of the container end inside the container, "eth0" by default. */
  name: string;
  /** Prefix of the host end's name. */
  hostPrefix: string;
  /** ADDRESS/LENGTH, IPv4 or IPv6. */
  addresses: string[];
  /** Default gateways, at most one per family. */
  gateways: string[];
  routes: RouteOption[];
  /** MTU of both ends; the bridge's MTU when absent. */
  mtu?: number;
  /** MAC address of the container end; the kernel picks a random one when absent. */
  mac?: string;
}

/** One entry of `linux.netDevices`: a host interface moved into the container. */
export interface NetDevicePlan {
  origin: string;
  /** Name in the host network namespace (the key of the entry). */
  hostName: string;
  /** Name in the container; may end in "%d" to let the kernel number it. */
  name: string;
}

/** Everything to set up, as parsed from the options; JSON-serializable. */
export interface NetworkPlan {
  /** Whether to bring `lo` up: true when the container gets a new network namespace. */
  loopback: boolean;
  veths: VethPlan[];
  netDevices: NetDevicePlan[];
  /** A network namespace to join instead of creating one (`netns:PATH`). */
  netnsPath?: string;
  /** The option that gave netnsPath, for error messages. */
  netnsOrigin?: string;
}

/**
 * Checks an interface name as the kernel's dev_valid_name() does: 1 to 15
 * bytes (IFNAMSIZ 16 with the NUL), not "." or "..", no "/", ":" or
 * whitespace. Returns the reason it is invalid, or undefined.
 */
export function invalidInterfaceName(name: string): string | undefined {
  const bytes = new TextEncoder().encode(name).length;
  if (bytes === 0) return "it is empty";
  if (bytes >= IFNAMSIZ) return `it is ${bytes} bytes long, more than the ${IFNAMSIZ - 1} that IFNAMSIZ allows`;
  if (name === "." || name === "..") return `"${name}" is reserved`;
  if (/[/:\s]/.test(name)) return "it contains '/', ':' or whitespace";
  return undefined;
}

function checkName(origin: string, field: string, name: string, allowTemplate = false): void {
  const reason = invalidInterfaceName(name);
  if (reason) throw new NetworkError(origin, `invalid ${field} "${name}": ${reason}`);
  if (name.includes("%")) {
    // The kernel's dev_alloc_name() accepts exactly one "%d" and no other "%".
    const template = allowTemplate && name.split("%").length === 2 && name.includes("%d");
    if (!template) {
      const allowed = allowTemplate ? "only one \"%d\" is allowed" : "a \"%d\" template is not allowed here";
      throw new NetworkError(origin, `invalid ${field} "${name}": ${allowed}`);
    }
  }
}

function describeOrigin(source: "cli" | "annotation", spec: string): string {
  return source === "cli" ? `--network ${JSON.stringify(spec)}` : `annotation ${NETWORK_ANNOTATION} ${JSON.stringify(spec)}`;
}

/** Splits "veth:k=v,k=v" into its type and the text after the colon. */
function splitType(spec: string): { type: string; rest: string } {
  const colon = spec.indexOf(":");
  if (colon < 0) return { type: spec.trim(), rest: "" };
  return { type: spec.slice(0, colon).trim(), rest: spec.slice(colon + 1) };
}

/** Splits "k=v,k=v" into its key/value pairs, in order. */
function splitPairs(origin: string, rest: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (rest.trim() === "") return pairs;
  for (const item of rest.split(",")) {
    const eq = item.indexOf("=");
    if (eq < 0) throw new NetworkError(origin, `expected KEY=VALUE, got "${item}"`);
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (value === "") throw new NetworkError(origin, `${key} has an empty value`);
    pairs.push([key, value]);
  }
  return pairs;
}

function parseAddress(origin: string, text: string): IpPrefix {
  const p = parsePrefix(text);
  if (!p) throw new NetworkError(origin, `invalid address "${text}": expected ADDRESS/LENGTH such as 192.0.2.10/24 or 2001:db8::10/64`);
  return p;
}

function parseGatewayIp(origin: string, key: string, text: string): IpAddress {
  const ip = parseIp(text);
  if (!ip) throw new NetworkError(origin, `invalid ${key} "${text}": expected an IPv4 or IPv6 address`);
  return ip;
}

function familyName(family: number): string {
  return family === AF_INET ? "IPv4" : "IPv6";
}

/** fe80::/10: an IPv6 gateway may be link-local, outside every configured subnet. */
function isLinkLocal6(ip: IpAddress): boolean {
  return ip.family === AF_INET6 && ip.bytes[0] === 0xfe && (ip.bytes[1]! & 0xc0) === 0x80;
}

/** A gateway must be reachable through the veth: inside one of its subnets, or IPv6 link-local. */
function checkReachable(origin: string, key: string, text: string, ip: IpAddress, addresses: IpPrefix[]): void {
  if (isLinkLocal6(ip) || addresses.some((a) => prefixContains(a, ip))) return;
  throw new NetworkError(origin, `${key} "${text}" is outside every ${familyName(ip.family)} address of this interface; add an address in its subnet`);
}

function parseMtu(origin: string, text: string): number {
  if (!/^[0-9]+$/.test(text)) throw new NetworkError(origin, `invalid mtu "${text}": expected a whole number of bytes`);
  const mtu = Number(text);
  // 68 is the minimum MTU of IPv4 (RFC 791); 65535 is the maximum of a veth (ETH_MAX_MTU).
  if (mtu < 68 || mtu > 65535) throw new NetworkError(origin, `invalid mtu "${text}": expected 68 to 65535 bytes`);
  return mtu;
}

function parseMacOption(origin: string, text: string): string {
  const bytes = parseMac(text);
  if (!bytes) throw new NetworkError(origin, `invalid mac "${text}": expected six hex pairs such as 02:00:c0:00:02:0a`);
  if (bytes[0]! & 1) throw new NetworkError(origin, `invalid mac "${text}": it is a multicast address (the low bit of the first byte is set)`);
  if (bytes.every((b) => b === 0)) throw new NetworkError(origin, `invalid mac "${text}": it is all zeros`);
  return text.toLowerCase();
}

function parseVeth(origin: string, pairs: Array<[string, string]>): VethPlan {
  const single = new Map<string, string>();
  const addresses: IpPrefix[] = [];
  const addressTexts: string[] = [];
  const gatewayTexts: string[] = [];
  const routeTexts: string[] = [];

  for (const [key, value] of pairs) {
    switch (key) {
      case "bridge":
      case "name":
      case "mtu":
      case "mac":
      case "prefix":
        if (single.has(key)) throw new NetworkError(origin, `${key} is given twice`);
        single.set(key, value);
        break;
      case "address":
        addresses.push(parseAddress(origin, value));
        addressTexts.push(value);
        break;
      case "gateway":
        gatewayTexts.push(value);
        break;
      case "route":
        routeTexts.push(value);
        break;
      default:
        throw new NetworkError(origin, `unknown key "${key}"; veth takes bridge, name, address, gateway, route, mtu, mac and prefix`);
    }
  }

  const bridge = single.get("bridge");
  if (bridge === undefined) throw new NetworkError(origin, "bridge is missing: name the bridge that the host end joins, as in veth:bridge=br0");
  checkName(origin, "bridge", bridge);

  const name = single.get("name") ?? "eth0";
  checkName(origin, "name", name);
  if (name === "lo") throw new NetworkError(origin, `invalid name "lo": the container's loopback interface already has it`);

  const hostPrefix = single.get("prefix") ?? DEFAULT_HOST_PREFIX;
  checkName(origin, "prefix", hostPrefix);
  const maxPrefix = IFNAMSIZ - 1 - HOST_SUFFIX_LENGTH;
  if (hostPrefix.length > maxPrefix) {
    throw new NetworkError(origin, `invalid prefix "${hostPrefix}": at most ${maxPrefix} characters, since ${HOST_SUFFIX_LENGTH} random hex digits follow it`);
  }

  const defaultFamilies = new Set<number>();
  const gateways: string[] = [];
  for (const text of gatewayTexts) {
    const ip = parseGatewayIp(origin, "gateway", text);
    if (defaultFamilies.has(ip.family)) throw new NetworkError(origin, `a second ${familyName(ip.family)} gateway "${text}": a veth has at most one gateway per family`);
    defaultFamilies.add(ip.family);
    checkReachable(origin, "gateway", text, ip, addresses);
    gateways.push(text);
  }

  const routes: RouteOption[] = [];
  for (const text of routeTexts) {
    const at = text.indexOf("@");
    const destination = at < 0 ? text : text.slice(0, at);
    const gatewayText = at < 0 ? undefined : text.slice(at + 1);
    const gateway = gatewayText === undefined ? undefined : parseGatewayIp(origin, "route gateway", gatewayText);

    let family: number;
    if (destination === "default") {
      if (!gateway) throw new NetworkError(origin, `invalid route "${text}": a default route needs a gateway, as in default@192.0.2.1`);
      family = gateway.family;
      if (defaultFamilies.has(family)) throw new NetworkError(origin, `invalid route "${text}": a second ${familyName(family)} default route`);
      defaultFamilies.add(family);
    } else {
      const p = parsePrefix(destination);
      if (!p) throw new NetworkError(origin, `invalid route "${text}": expected DESTINATION[@GATEWAY] with DESTINATION "default" or ADDRESS/LENGTH`);
      family = p.family;
    }
    if (gateway && gatewayText !== undefined) {
      if (gateway.family !== family) throw new NetworkError(origin, `invalid route "${text}": the gateway is ${familyName(gateway.family)} and the destination is not`);
      checkReachable(origin, "route gateway", gatewayText, gateway, addresses);
      routes.push({ destination, gateway: gatewayText });
    } else {
      routes.push({ destination });
    }
  }

  const plan: VethPlan = { origin, bridge, name, hostPrefix, addresses: addressTexts, gateways, routes };
  const mtu = single.get("mtu");
  if (mtu !== undefined) plan.mtu = parseMtu(origin, mtu);
  const mac = single.get("mac");
  if (mac !== undefined) plan.mac = parseMacOption(origin, mac);
  return plan;
}

/** NS_GET_NSTYPE from linux/nsfs.h: _IO(0xb7, 0x3). */
const NS_GET_NSTYPE = 0xb703;

/** Checks that path is absolute and names a network namespace. */
function checkNetnsPath(origin: string, path: string): void {
  if (!path.startsWith("/")) throw new NetworkError(origin, `invalid path "${path}": expected an absolute path such as /run/netns/NAME`);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new NetworkError(origin, `failed to open "${path}": ${(e as { code?: string }).code ?? e}`, { cause: e });
  }
  try {
    let type: number;
    try {
      type = ioctl(fd, NS_GET_NSTYPE, null, "ioctl(NS_GET_NSTYPE)");
    } catch (e) {
      throw new NetworkError(origin, `"${path}" is not a namespace file`, { cause: e });
    }
    if (type !== CLONE_NEWNET) throw new NetworkError(origin, `"${path}" is a namespace, but not a network namespace`);
  } finally {
    closeSync(fd);
  }
}

/** Splits the annotation into specs: separated by ";" or newlines, blanks ignored. */
function annotationSpecs(value: string): string[] {
  return value
    .split(/[;\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * Parses the network options of a container into a plan. specs are the
 * `--network` options. When there are none, the specs of the
 * `dev.ns.network` annotation apply instead. namespaces is
 * `linux.namespaces`, and without a network entry in it the container shares
 * the runtime's network namespace, so no option may configure it. When
 * namespaces is omitted, a new network namespace is assumed. Throws a
 * NetworkError naming the option and the value.
 */
export function parseNetworkOptions(
  specs: string[],
  annotations: Record<string, string> | undefined,
  netDevices: Record<string, { name?: string }> | undefined,
  namespaces?: readonly NamespaceEntry[],
): NetworkPlan {
  const source: "cli" | "annotation" = specs.length > 0 ? "cli" : "annotation";
  const annotation = annotations?.[NETWORK_ANNOTATION];
  let list = specs;
  if (source === "annotation") list = annotation === undefined ? [] : annotationSpecs(annotation);

  const plan: NetworkPlan = { loopback: true, veths: [], netDevices: [] };
  for (const spec of list) {
    const origin = describeOrigin(source, spec);
    const { type, rest } = splitType(spec);
    switch (type) {
      case "loopback":
        if (rest.trim() !== "") throw new NetworkError(origin, "loopback takes no settings");
        break;
      case "veth":
        plan.veths.push(parseVeth(origin, splitPairs(origin, rest)));
        break;
      case "netns": {
        // The whole rest is the path, which may contain "," or "=".
        const path = rest;
        if (path === "") throw new NetworkError(origin, "the path is missing, as in netns:/run/netns/NAME");
        if (plan.netnsPath !== undefined) throw new NetworkError(origin, `a second network namespace to join; ${plan.netnsOrigin} already names one`);
        checkNetnsPath(origin, path);
        plan.netnsPath = path;
        plan.netnsOrigin = origin;
        break;
      }
      default:
        throw new NetworkError(origin, `unknown network type "${type}"; expected loopback, veth or netns`);
    }
  }

  for (const [hostName, device] of Object.entries(netDevices ?? {})) {
    const origin = `linux.netDevices[${JSON.stringify(hostName)}]`;
    checkName(origin, "host interface name", hostName);
    const name = device?.name === undefined || device.name === "" ? hostName : device.name;
    checkName(`${origin}.name`, "name", name, true);
    if (name === "lo") throw new NetworkError(`${origin}.name`, `invalid name "lo": the container's loopback interface already has it`);
    plan.netDevices.push({ origin, hostName, name });
  }

  checkContainerNames(plan);
  applyNamespaces(plan, namespaces);
  return plan;
}

/** Two interfaces may not get the same name in the container. */
function checkContainerNames(plan: NetworkPlan): void {
  const seen = new Map<string, string>();
  const entries = [...plan.veths.map((v) => ({ name: v.name, origin: v.origin })), ...plan.netDevices.map((d) => ({ name: d.name, origin: `${d.origin}.name` }))];
  for (const { name, origin } of entries) {
    if (name.includes("%")) continue;
    const other = seen.get(name);
    if (other) throw new NetworkError(origin, `interface name "${name}" is already used by ${other}`);
    seen.set(name, origin);
  }

  const gatewayOrigins = new Map<number, string>();
  for (const veth of plan.veths) {
    const families = [
      ...veth.gateways.map((g) => parseIp(g)!.family),
      ...veth.routes.filter((r) => r.destination === "default").map((r) => parseIp(r.gateway!)!.family),
    ];
    for (const family of families) {
      const other = gatewayOrigins.get(family);
      if (other && other !== veth.origin) throw new NetworkError(veth.origin, `a second ${familyName(family)} default route; ${other} already sets one`);
      gatewayOrigins.set(family, veth.origin);
    }
  }
}

/** Reconciles the plan with linux.namespaces: a shared or joined namespace changes what may be done. */
function applyNamespaces(plan: NetworkPlan, namespaces: readonly NamespaceEntry[] | undefined): void {
  if (namespaces === undefined) {
    if (plan.netnsPath !== undefined) plan.loopback = false;
    return;
  }
  const entry = namespaces.find((ns) => ns.type === "network");
  const configured = plan.veths[0]?.origin ?? plan.netDevices[0]?.origin ?? plan.netnsOrigin;

  if (!entry && plan.netnsPath === undefined) {
    if (configured) throw new NetworkError(configured, `the container shares the host's network namespace; add {"type": "network"} to linux.namespaces`);
    plan.loopback = false;
    return;
  }
  if (entry?.path && plan.netnsPath !== undefined && entry.path !== plan.netnsPath) {
    throw new NetworkError(plan.netnsOrigin!, `linux.namespaces already joins the network namespace "${entry.path}"`);
  }
  if (entry?.path && plan.netnsPath === undefined) {
    plan.netnsPath = entry.path;
    plan.netnsOrigin = "linux.namespaces network path";
  }
  // A joined namespace belongs to someone else, who decides the state of its lo.
  if (plan.netnsPath !== undefined) plan.loopback = false;
}

/** Returns the network namespace that the container joins instead of creating one, if any. */
export function networkNamespacePath(plan: NetworkPlan): string | undefined {
  return plan.netnsPath;
}
