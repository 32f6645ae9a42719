// Shared fixtures of the network integration tests. Everything they make
// lives in network namespaces they create, never in the machine's own:
// "host" namespaces come from `ip netns add` and "containers" from
// `unshare --net`. Addresses come from 192.0.2.0/24 and 198.51.100.0/24 only.
import { readFileSync, statSync } from "node:fs";
import { spawnSync, type Subprocess } from "bun";

/** Why the tests cannot run here, or undefined when they can. */
export function missingRequirement(): string | undefined {
  if (process.getuid?.() !== 0) return "root";
  for (const tool of ["ip", "unshare", "nsenter", "ping"]) {
    if (spawnSync(["which", tool]).exitCode !== 0) return `${tool} (ping is in Debian's iputils-ping)`;
  }
  return undefined;
}

/** Runs a command and returns its stdout; throws with its stderr when it fails. */
export function run(argv: string[]): string {
  const r = spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} exited with ${r.exitCode}: ${r.stderr.toString().trim()}`);
  return r.stdout.toString();
}

/** Runs a command and returns whether it exited 0. */
export function succeeds(argv: string[]): boolean {
  return spawnSync(argv, { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
}

export interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  master?: string;
  address?: string;
  /** The peer of a veth in the same namespace. */
  link?: string;
}

export interface IpAddr extends IpLink {
  addr_info: Array<{ family: string; local: string; prefixlen: number; scope: string }>;
}

export interface IpRoute {
  dst: string;
  gateway?: string;
  dev: string;
  scope?: string;
}

/** Returns the `ip -j` command prefix for a named namespace or a process's namespace. */
function ipIn(where: Where): string[] {
  return typeof where === "string" ? ["ip", "-n", where, "-j"] : ["nsenter", `--net=/proc/${where.pid}/ns/net`, "ip", "-j"];
}

/** A named namespace (`ip netns add`) or a process whose namespace to look into. */
export type Where = string | { pid: number };

export function links(where: Where): IpLink[] {
  return JSON.parse(run([...ipIn(where), "link", "show"])) as IpLink[];
}

export function linkNames(where: Where): string[] {
  return links(where).map((l) => l.ifname);
}

export function addrs(where: Where, name: string): IpAddr {
  const [a] = JSON.parse(run([...ipIn(where), "addr", "show", "dev", name])) as IpAddr[];
  if (!a) throw new Error(`no interface ${name}`);
  return a;
}

export function routes(where: Where): IpRoute[] {
  return JSON.parse(run([...ipIn(where), "route", "show"])) as IpRoute[];
}

/** Sends one ping, waiting at most a second, from inside a process's namespace. */
export function ping(from: { pid: number }, address: string): boolean {
  return succeeds(["nsenter", `--net=/proc/${from.pid}/ns/net`, "ping", "-c", "1", "-W", "1", "-q", address]);
}

/** Names, processes and namespaces that one test file made, removed by cleanup(). */
export class Fixture {
  readonly tag = `nst${crypto.getRandomValues(new Uint32Array(1))[0]!.toString(16).padStart(8, "0")}`;
  private readonly namespaces: string[] = [];
  private readonly processes: Subprocess[] = [];

  /** Creates a named network namespace, /run/netns/NAME. */
  netns(role: string): string {
    const name = `${this.tag}-${role}`;
    run(["ip", "netns", "add", name]);
    this.namespaces.push(name);
    return name;
  }

  /** Creates a "host" namespace with bridge br0 up at address (such as 192.0.2.1/24). */
  hostWithBridge(role: string, address: string): string {
    const ns = this.netns(role);
    run(["ip", "-n", ns, "link", "add", "br0", "type", "bridge"]);
    run(["ip", "-n", ns, "addr", "add", address, "dev", "br0"]);
    run(["ip", "-n", ns, "link", "set", "br0", "up"]);
    return ns;
  }

  /** Starts a process in a fresh network namespace, standing in for a container's init. */
  container(): { pid: number } {
    return this.startIn(["unshare", "--net", "sleep", "60"]);
  }

  /** Starts a process in a named namespace, standing in for a container that joined it. */
  containerIn(netns: string): { pid: number } {
    return this.startIn(["ip", "netns", "exec", netns, "sleep", "60"]);
  }

  private startIn(argv: string[]): { pid: number } {
    const own = statSync("/proc/self/ns/net").ino;
    const proc = Bun.spawn(argv, { stdout: "ignore", stderr: "ignore" });
    this.processes.push(proc);
    // unshare and ip netns exec switch namespaces and then exec sleep in the same process.
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        if (statSync(`/proc/${proc.pid}/ns/net`).ino !== own && readComm(proc.pid) === "sleep") return { pid: proc.pid };
      } catch {
        // Not started yet.
      }
      if (Date.now() > deadline) throw new Error(`${argv.join(" ")} did not start within 5 s`);
      Bun.sleepSync(5);
    }
  }

  /** Ends a container process and waits for it. */
  async stop(container: { pid: number }): Promise<void> {
    const proc = this.processes.find((p) => p.pid === container.pid);
    if (!proc) return;
    proc.kill("SIGKILL");
    await proc.exited;
  }

  async cleanup(): Promise<void> {
    for (const proc of this.processes) {
      proc.kill("SIGKILL");
      await proc.exited;
    }
    for (const ns of this.namespaces) succeeds(["ip", "netns", "del", ns]);
  }

  /** Namespaces of this fixture that still exist. */
  leftovers(): string[] {
    return run(["ip", "netns", "list"])
      .split("\n")
      .map((line) => line.split(" ")[0]!)
      .filter((name) => name.startsWith(this.tag));
  }
}

function readComm(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
}
