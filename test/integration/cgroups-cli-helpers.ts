// Helpers for the tests of cgroup features through the CLI. Containers run a
// shell script with the id as $0 and may share a host directory; the tests
// read the container's cgroup files on the host and run `ns events` in the
// background.
import { expect } from "bun:test";
import type { Subprocess } from "bun";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeBundle, NS, type Bundle } from "../helpers/bundle.ts";
import { leftovers, processLeftovers } from "../helpers/ns.ts";
import { waitFor } from "../helpers/run.ts";
import { nsCall, type NsCallOptions, type NsOutput } from "./lifecycle-helpers.ts";

export const CGROUP_ROOT = "/sys/fs/cgroup";

/** Returns whether a cgroup v1 hierarchy with this controller is mounted at /sys/fs/cgroup/NAME. */
export function hasV1(controller: string): boolean {
  return existsSync(join(CGROUP_ROOT, controller, "cgroup.procs")) && !existsSync(join(CGROUP_ROOT, controller, "cgroup.controllers"));
}

/** Prints why a test is skipped and returns the condition, for test.skipIf. */
export function missing(condition: boolean, what: string): boolean {
  if (condition) console.warn(`skipped: needs ${what}`);
  return condition;
}

/** Returns the cgroup directory of container `id` in the v1 hierarchy of `controller` ("unified" for cgroup v2). */
export function cgroupDir(controller: string, id: string): string {
  return join(CGROUP_ROOT, controller, "ns", id);
}

/** Reads one interface file of a container's cgroup, trimmed. */
export function cgroupFile(controller: string, id: string, file: string): string {
  return readFileSync(join(cgroupDir(controller, id), file), "utf8").trim();
}

/** The state root, bundles and shared directories of one test file, and the calls that use them. */
export class CliFixture {
  private bundles: Bundle[] = [];
  private shared: string[] = [];
  private counter = 0;

  constructor(
    readonly root: string,
    private readonly prefix: string,
  ) {}

  /** Returns a new container id with this file's prefix, so that its cgroup is /ns/<id>. */
  newId(name: string): string {
    return `${this.prefix}-${process.pid}-${++this.counter}-${name}`;
  }

  /** Makes a host directory for a container to mount read-write at /shared (see `sharing`). */
  newSharedDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "ns-test-shared-"));
    this.shared.push(dir);
    return dir;
  }

  /**
   * Makes a bundle that runs `sh -c script id`, so that the container's processes
   * carry the id in their command line for processLeftovers.
   */
  bundle(id: string, script: string, edit?: (config: any) => void): Bundle {
    const bundle = makeBundle((config) => {
      config.process.args = ["sh", "-c", script, id];
      edit?.(config);
    });
    this.bundles.push(bundle);
    return bundle;
  }

  /** Runs ns with its output in files, so that a detached container cannot hold the call open. */
  ns(args: string[], options: NsCallOptions = {}): NsOutput {
    return nsCall(this.root, args, options);
  }

  /** Starts a detached container (ns run -d) and expects it to start. */
  runDetached(id: string, script: string, edit?: (config: any) => void): void {
    const bundle = this.bundle(id, script, edit);
    const r = this.ns(["run", "-d", "--bundle", bundle.dir, id]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  }

  /** Removes the container whatever its state, and expects nothing of it to be left. */
  cleanUp(id: string): void {
    this.ns(["delete", "--force", id]);
    expectNothingLeft(this.root, id);
  }

  /** Removes every container, bundle and shared directory of the file. */
  removeAll(): void {
    for (const id of readdirSync(this.root)) if (!id.startsWith(".")) this.ns(["delete", "--force", id]);
    for (const bundle of this.bundles) bundle.remove();
    for (const dir of this.shared) rmSync(dir, { recursive: true, force: true });
  }
}

/** Adds a read-write bind mount of host directory `dir` at /shared to a config. */
export function sharing(config: any, dir: string): void {
  config.mounts.push({ destination: "/shared", type: "bind", source: dir, options: ["rbind", "rw"] });
}

/** Expects no state dir, cgroup in any hierarchy, mount or process of the container. */
export function expectNothingLeft(root: string, id: string): void {
  expect(leftovers(root, id)).toEqual([]);
  expect(processLeftovers(id)).toEqual([]);
}

/** `ns events` running in the background, with its output collected as it comes. */
export class EventsProcess {
  stdout = "";
  stderr = "";
  readonly exited: Promise<number>;
  private readonly proc: Subprocess<"ignore", "pipe", "pipe">;

  constructor(root: string, args: string[]) {
    this.proc = Bun.spawn([NS, "--root", root, "events", ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const collect = async (stream: ReadableStream<Uint8Array>, append: (text: string) => void) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) append(decoder.decode(chunk, { stream: true }));
    };
    const out = collect(this.proc.stdout, (text) => (this.stdout += text));
    const err = collect(this.proc.stderr, (text) => (this.stderr += text));
    this.exited = Promise.all([out, err, this.proc.exited]).then(([, , code]) => code);
  }

  /** Parses the complete JSON lines printed so far. */
  events(): { type: string; id: string; data?: any }[] {
    return this.stdout
      .split("\n")
      .slice(0, -1)
      .map((line) => JSON.parse(line));
  }

  /** Waits until an event of this type has been printed and returns the first one. */
  async waitForEvent(type: string, timeoutMs = 10_000): Promise<{ type: string; id: string; data?: any }> {
    return waitFor(`an event of type ${type} from ns events (stderr: ${this.stderr.trim()})`, () => this.events().find((event) => event.type === type), timeoutMs);
  }

  /** Waits for the process to exit; kills it after timeoutMs and returns its code. */
  async finish(timeoutMs = 10_000): Promise<number> {
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    this.proc.kill("SIGKILL");
  }
}
