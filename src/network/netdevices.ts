// linux.netDevices (runtime-spec config-linux.md, "Network Devices"): move an
// existing host interface into the container, renamed when asked, keeping
// its permanent global addresses, and bring it up there.
//
// The way back follows the spec: the runtime must not pull a device out of
// the container's namespace. When that namespace is freed the kernel returns
// physical devices to the initial namespace under their container name (or
// "dev%d" when that name is taken) and destroys virtual ones (veth, macvlan,
// ...). Teardown then finds each returned device and gives it back its host
// name, addresses and up state. Only a failed setup, before the container
// has run, moves devices back itself.
import { constants } from "node:os";
import { addAddress, listAddresses } from "../netlink/address.ts";
import { IFA_F_PERMANENT, IFF_LOOPBACK, RT_SCOPE_UNIVERSE } from "../netlink/constants.ts";
import { findLink, type Link, listLinks, moveLink, renameLink, setLinkDown, setLinkUp } from "../netlink/link.ts";
import { NetlinkError, type NetlinkSocket } from "../netlink/socket.ts";
import { NetworkError } from "./errors.ts";
import type { NetDevicePlan } from "./options.ts";
import type { NetDeviceState } from "./state.ts";
import { optionError } from "./veth.ts";

/** Looks up the host interface of a netDevices entry and checks that it can move. */
export function findNetDevice(host: NetlinkSocket, plan: NetDevicePlan): Link {
  const link = findLink(host, plan.hostName);
  if (!link) throw new NetworkError(plan.origin, `interface "${plan.hostName}" not found in the host network namespace`);
  if (link.flags & IFF_LOOPBACK) throw new NetworkError(plan.origin, `"${plan.hostName}" is a loopback interface, which cannot leave its namespace`);
  return link;
}

function alreadyExists(plan: NetDevicePlan, cause?: unknown): NetworkError {
  return new NetworkError(`${plan.origin}.name`, `interface "${plan.name}" already exists in the container's network namespace`, { cause });
}

/**
 * Moves the interface into the container's namespace under its container
 * name. Its permanent global addresses are read first, because the move
 * drops them; setupContainerSide adds them back inside.
 *
 * The kernel (do_setlink, 6.x) handles IFLA_NET_NS_FD before IFLA_IFNAME: it
 * moves the device under its current name, if that is free in the target,
 * and renames it afterwards. A failed rename thus leaves the device moved
 * under its host name. So a taken name is checked first, and a device left
 * half moved by any failure is moved back (hostNetnsFd) before this throws.
 */
export function moveNetDeviceIn(
  host: NetlinkSocket,
  inside: NetlinkSocket,
  netns: { container: number; host: number },
  plan: NetDevicePlan,
  link: Link,
): NetDeviceState {
  if (!plan.name.includes("%") && findLink(inside, plan.name)) throw alreadyExists(plan);

  const addresses = listAddresses(host, { index: link.index })
    .filter((a) => a.flags & IFA_F_PERMANENT && a.scope === RT_SCOPE_UNIVERSE)
    .map((a) => a.cidr);
  const before = new Set(listLinks(inside).map((l) => l.index));
  // The kernel keeps the ifindex unless the target namespace uses it, and picks
  // the name for a "%d" template, so the device is found as the one new link with its MAC.
  const findMoved = () => listLinks(inside).find((l) => !before.has(l.index) && l.mac === link.mac);

  const state: NetDeviceState = {
    origin: plan.origin,
    hostName: plan.hostName,
    hostIndex: link.index,
    name: plan.name,
    containerIndex: -1,
    wasUp: link.up,
    addresses,
  };
  if (link.kind !== undefined) state.kind = link.kind;
  if (link.mac !== undefined) state.mac = link.mac;

  try {
    moveLink(host, link, { fd: netns.container }, plan.name);
  } catch (e) {
    const stray = findMoved();
    if (stray) moveNetDeviceBack(inside, netns.host, host, { ...state, name: stray.name, containerIndex: stray.index });
    if (e instanceof NetlinkError && e.errno === constants.errno.EEXIST) throw alreadyExists(plan, e);
    throw optionError(plan.origin, e);
  }

  const moved = findMoved();
  if (!moved) throw new NetworkError(plan.origin, `interface "${plan.hostName}" was moved but is not in the container's network namespace`);
  return { ...state, name: moved.name, containerIndex: moved.index };
}

/** Inside the container: adds the addresses the device had on the host and brings it up. */
export function configureNetDevice(sock: NetlinkSocket, device: NetDeviceState): void {
  const link = findLink(sock, device.containerIndex);
  if (!link || link.name !== device.name) {
    throw new NetworkError(device.origin, `interface "${device.name}" is not in the container's network namespace`);
  }
  try {
    for (const address of device.addresses) addAddress(sock, link, address);
    setLinkUp(sock, link);
  } catch (e) {
    throw optionError(device.origin, e);
  }
}

/** Gives a device that is back on the host its name, addresses and up state. */
function restoreOnHost(host: NetlinkSocket, device: NetDeviceState, link: Link): void {
  if (link.name !== device.hostName) {
    if (link.up) setLinkDown(host, link);
    try {
      renameLink(host, link, device.hostName);
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === constants.errno.EEXIST) {
        throw new NetworkError(device.origin, `failed to rename "${link.name}" back to "${device.hostName}": another interface has that name now`, { cause: e });
      }
      throw e;
    }
  }
  const current = { index: link.index, name: device.hostName };
  for (const address of device.addresses) {
    try {
      addAddress(host, current, address);
    } catch (e) {
      if (!(e instanceof NetlinkError && e.errno === constants.errno.EEXIST)) throw e;
    }
  }
  if (device.wasUp) setLinkUp(host, current);
}

/**
 * Undoes moveNetDeviceIn after a failed setup: the container has not run, so
 * its namespace is still ours to take the device out of.
 */
export function moveNetDeviceBack(inside: NetlinkSocket, hostNetnsFd: number, host: NetlinkSocket, device: NetDeviceState): void {
  const link = findLink(inside, device.containerIndex);
  if (link && link.name === device.name) moveLink(inside, link, { fd: hostNetnsFd }, device.hostName);
  const back = findLink(host, device.hostName);
  if (back) restoreOnHost(host, device, back);
}

/** Finds a device that the kernel returned: same ifindex and MAC, or the container name (or "dev%d") and the MAC. */
function findReturned(host: NetlinkSocket, device: NetDeviceState): Link | undefined {
  const links = listLinks(host).filter((l) => l.mac === device.mac);
  const byIndex = links.find((l) => l.index === device.hostIndex);
  const byName = links.find((l) => l.name === device.name || l.name === device.hostName);
  // Without a MAC to match, a "dev%d" name alone could be any device.
  const fallback = device.mac === undefined ? undefined : links.find((l) => /^dev[0-9]+$/.test(l.name));
  return byIndex ?? byName ?? fallback;
}

/** How often teardown looks for a device that the kernel has not returned yet. */
const RETURN_POLL_MS = 50;

/**
 * After the container's namespace is freed: waits until deadline (a
 * Date.now() value) for the kernel to return a physical device, since it
 * frees namespaces asynchronously, then restores it. Virtual devices are
 * destroyed with the namespace and need nothing.
 */
export function restoreReturnedNetDevice(host: NetlinkSocket, device: NetDeviceState, deadline: number): void {
  if (device.kind !== undefined) return;
  for (;;) {
    const link = findReturned(host, device);
    if (link) {
      restoreOnHost(host, device, link);
      return;
    }
    if (Date.now() >= deadline) {
      throw new NetworkError(
        device.origin,
        `interface "${device.name}" has not come back to the host network namespace; a process may still hold the container's network namespace`,
      );
    }
    Bun.sleepSync(RETURN_POLL_MS);
  }
}
