// Two real containers (`dist/ns run --network veth:...`) on one bridge ping
// each other. ns runs with `nsenter --net=` inside a test "host" namespace
// that contains the bridge. `ip netns exec` would not do, because it
// remounts /sys for the namespace and so hides the cgroup hierarchy from ns.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { busyboxPath, type Bundle, makeBundle, NS } from "../helpers/bundle.ts";
import { Fixture, linkNames, missingRequirement } from "./network-helpers.ts";

function missingForRun(): string | undefined {
  if (!existsSync(NS)) return "dist/ns (run `bun run build.ts`)";
  if (!busyboxPath()) return "busybox-static";
  return missingRequirement();
}

const missing = missingForRun();
if (missing) console.warn(`skipping ns run network tests: they need ${missing}`);
const it = test.skipIf(missing !== undefined);

const fx = new Fixture();
const stateRoot = mkdtempSync(join(tmpdir(), "ns-test-network-state-"));
const bundles: Bundle[] = [];
afterAll(async () => {
  for (const b of bundles) b.remove();
  await fx.cleanup();
  rmSync(stateRoot, { recursive: true, force: true });
  expect(fx.leftovers()).toEqual([]);
});

/**
 * Makes a bundle whose container pings its peer until a reply comes (at most
 * 20 tries), then the bridge, and stays up 2 s more so that the peer can reach it too.
 */
function pingingBundle(peer: string): Bundle {
  const script = [
    "i=0",
    `until ping -c 1 -W 1 ${peer} >/dev/null 2>&1; do i=$((i+1)); if [ $i -ge 20 ]; then exit 10; fi; sleep 0.2; done`,
    "ping -c 1 -W 1 192.0.2.1 >/dev/null 2>&1 || exit 11",
    "sleep 2",
  ].join("; ");
  const bundle = makeBundle((config) => {
    config.process.args = ["sh", "-c", script];
    // Busybox ping opens a raw socket.
    for (const set of Object.keys(config.process.capabilities)) config.process.capabilities[set].push("CAP_NET_RAW");
  });
  bundles.push(bundle);
  return bundle;
}

function nsRun(host: string, bundle: Bundle, id: string, network: string) {
  return Bun.spawn(["nsenter", `--net=/run/netns/${host}`, NS, "--root", stateRoot, "run", "--bundle", bundle.dir, "--network", network, id], {
    stdout: "pipe",
    stderr: "pipe",
  });
}

describe("ns run --network", () => {
  it(
    "two containers on one bridge ping each other",
    async () => {
      const host = fx.hostWithBridge("run", "192.0.2.1/24");
      const a = nsRun(host, pingingBundle("192.0.2.11"), `${fx.tag}-a`, "veth:bridge=br0,address=192.0.2.10/24,gateway=192.0.2.1");
      const b = nsRun(host, pingingBundle("192.0.2.10"), `${fx.tag}-b`, "veth:bridge=br0,address=192.0.2.11/24,gateway=192.0.2.1");
      const [codeA, codeB] = await Promise.all([a.exited, b.exited]);
      const stderr = `${await new Response(a.stderr).text()}${await new Response(b.stderr).text()}`;
      expect({ codeA, codeB, stderr: stderr.split("\n").filter((l) => !l.includes("ambient")).join("\n") }).toEqual({ codeA: 0, codeB: 0, stderr: "" });

      // ns run removed both host ends when the containers ended.
      expect(linkNames(host).sort()).toEqual(["br0", "lo"]);
    },
    60_000,
  );
});
