// Escapes through the runtime itself. A container tries to overwrite the
// ns executable through /proc/PID/exe (the CVE-2019-5736 class), and to
// start in a working directory reached through an fd inherited from the host
// (the CVE-2024-21626 class). The last tests check that no host fd leaks
// into the container.
//
// The two exe tests run a COPY of ns for every command, so that an attack
// that works ruins the copy and never the executable under test.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeBundle, NS, type Bundle } from "../helpers/bundle.ts";
import { leftovers, makeStateRoot, removeStateRoot } from "../helpers/ns.ts";
import { nsCall, stateOf, waitForStatus, waitUntil, type NsOutput } from "./lifecycle-helpers.ts";

/**
 * A static program for inside the container: racer CATCH WRITE DEV INO.
 * For CATCH seconds it opens /proc/PID/exe (O_PATH) of every process whose
 * executable it has not seen yet and prints each one. When that file is the
 * target DEV:INO (the copy of ns), it tries O_RDWR at once, then, for up to
 * WRITE seconds, reopens it through /proc/self/fd for writing and appends
 * "PWNED", waiting out ETXTBSY. It never opens any other file for writing.
 */
const RACER_SOURCE = String.raw`
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
	if (argc != 5) return 2;
	double catch_for = atof(argv[1]), write_for = atof(argv[2]);
	unsigned long target_dev = strtoul(argv[3], NULL, 10), target_ino = strtoul(argv[4], NULL, 10);
	struct stat seen[256];
	int n = 0, target = -1;
	setvbuf(stdout, NULL, _IONBF, 0);
	for (double end = now() + catch_for; now() < end && n < 256 && target < 0;) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		while (d && (e = readdir(d)) && target < 0) {
			if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == getpid()) continue;
			char path[64];
			snprintf(path, sizeof path, "/proc/%s/exe", e->d_name);
			int fd = open(path, O_PATH | O_CLOEXEC);
			if (fd < 0) continue;
			struct stat st;
			int known = fstat(fd, &st) < 0;
			for (int i = 0; i < n && !known; i++) known = st.st_dev == seen[i].st_dev && st.st_ino == seen[i].st_ino;
			if (known || n == 256) {
				close(fd);
				continue;
			}
			seen[n++] = st;
			if (st.st_dev != target_dev || st.st_ino != target_ino) {
				printf("caught ino %lu\n", (unsigned long)st.st_ino);
				close(fd);
				continue;
			}
			int rw = open(path, O_RDWR);
			printf("caught target: open O_RDWR: %s\n", rw < 0 ? strerror(errno) : "opened");
			if (rw >= 0) close(rw);
			target = fd;
		}
		if (d) closedir(d);
	}
	if (target >= 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/self/fd/%d", target);
		for (double end = now() + write_for;;) {
			int w = open(path, O_WRONLY | O_APPEND);
			if (w >= 0) {
				printf("target: wrote %zd bytes\n", write(w, "PWNED", 5));
				close(w);
				break;
			}
			if (errno != ETXTBSY || now() > end) {
				printf("target: open O_WRONLY: %s\n", strerror(errno));
				break;
			}
			usleep(10000);
		}
	}
	printf("done, saw %d executables\n", n);
	return 0;
}
`;

// Each test starts several containers; on a loaded 2-core machine that can take many seconds.
setDefaultTimeout(120_000);

let root: string;
let work: string;
let racer: string | undefined;
const bundles: Bundle[] = [];
const ids: string[] = [];
let counter = 0;

function newId(name: string): string {
  const id = `security-${process.pid}-${++counter}-${name}`;
  ids.push(id);
  return id;
}

/** Copies the ns executable to a fresh file, for tests where a working attack would overwrite it. */
function copyOfNs(): { path: string; digest: () => string; device: number; inode: number } {
  const path = join(mkdtempSync(join(work, "bin-")), "ns");
  copyFileSync(NS, path);
  chmodSync(path, 0o755);
  const digest = () => new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");
  const st = statSync(path);
  return { path, digest, device: st.dev, inode: st.ino };
}

function bundleWith(args: string[], edit?: (config: any) => void): Bundle {
  const bundle = makeBundle((config) => {
    config.process.args = args;
    config.root.readonly = false;
    edit?.(config);
  });
  bundles.push(bundle);
  if (racer) copyFileSync(racer, join(bundle.rootfs, "racer"));
  return bundle;
}

function ns(args: string[], bin?: string): NsOutput {
  return nsCall(root, args, bin === undefined ? {} : { bin });
}

beforeAll(() => {
  root = makeStateRoot();
  work = mkdtempSync(join(tmpdir(), "ns-test-security-"));
  writeFileSync(join(work, "racer.c"), RACER_SOURCE);
  const built = spawnSync("cc", ["-static", "-O2", "-o", join(work, "racer"), join(work, "racer.c")], { encoding: "utf8" });
  if (built.status === 0) racer = join(work, "racer");
  else console.warn(`security tests: cannot build the static racer with cc (${built.error?.message ?? built.stderr.trim()}); the exe tests are skipped`);
});

afterAll(() => {
  for (const id of ids) nsCall(root, ["delete", "--force", id]);
  for (const id of ids) expect(leftovers(root, id)).toEqual([]);
  for (const bundle of bundles) bundle.remove();
  removeStateRoot(root);
  rmSync(work, { recursive: true, force: true });
});

describe("the ns executable", () => {
  test("#!/proc/self/exe entrypoint cannot overwrite ns", () => {
    if (!racer) return;
    const copy = copyOfNs();
    const before = copy.digest();
    // Without a pid namespace the racer outlives the container process, so
    // it can still try to write once the ns executable is no longer busy.
    const bundle = bundleWith(["/evil.sh"], (config) => {
      config.linux.namespaces = config.linux.namespaces.filter((n: { type: string }) => n.type !== "pid");
    });
    writeFileSync(join(bundle.rootfs, "evil.sh"), "#!/proc/self/exe\n", { mode: 0o755 });
    const id = newId("self-exe");

    // The container's output goes to a file kept for the checks below.
    const output = join(bundle.dir, "container.out");
    const out = openSync(output, "w");
    try {
      const created = spawnSync(copy.path, ["--root", root, "create", "--bundle", bundle.dir, id], { stdio: ["ignore", out, out] });
      expect(created.status).toBe(0);
    } finally {
      closeSync(out);
    }
    expect(ns(["exec", "-d", id, "sh", "-c", `/racer 5 3 ${copy.device} ${copy.inode} > /racer.out 2>&1`], copy.path).code).toBe(0);
    Bun.sleepSync(300);

    // At start the init stage executes the script, whose interpreter is the
    // init stage's own executable: the ns binary on its detached read-only
    // mount. Linux 6.18 refuses that execve with ENOENT; should a kernel run
    // it, the racer finds it and tries to write to it once it has exited.
    ns(["start", id], copy.path);
    waitForStatus(root, id, "stopped");
    const containerOutput = readFileSync(output, "utf8");
    const refused = containerOutput.includes('execve "/evil.sh": ENOENT');
    const ranReadOnly = containerOutput.includes('unknown command "/evil.sh"');
    expect({ refused, ranReadOnly, containerOutput }).toEqual({ refused: !ranReadOnly, ranReadOnly: !refused, containerOutput });
    const report = join(bundle.rootfs, "racer.out");
    expect(waitUntil(() => readFileSync(report, "utf8").includes("done"), 15_000)).toBe(true);
    const text = readFileSync(report, "utf8");
    expect(text).not.toContain("opened");
    expect(text).not.toContain("wrote");
    if (text.includes("caught target")) expect(text).toContain("target: open O_WRONLY: Read-only file system");
    expect(copy.digest()).toBe(before);
    expect(ns(["delete", id], copy.path).code).toBe(0);
  });

  test("exec never exposes the ns executable", () => {
    if (!racer) return;
    const copy = copyOfNs();
    const before = copy.digest();
    const bundle = bundleWith(["sh", "-c", `/racer 4 2 ${copy.device} ${copy.inode} > /racer.out 2>&1; exec sleep 1000`]);
    const id = newId("exec-window");
    expect(ns(["run", "-d", "--bundle", bundle.dir, id], copy.path).code).toBe(0);

    // Each exec clones a copy of the ns process into the container's pid
    // namespace, where it waits for the launcher before it executes "true".
    const deadline = Date.now() + 3_500;
    let execs = 0;
    while (Date.now() < deadline) {
      expect(ns(["exec", id, "true"], copy.path).code).toBe(0);
      execs++;
    }
    expect(execs).toBeGreaterThan(5);
    const report = join(bundle.rootfs, "racer.out");
    expect(waitUntil(() => existsSync(report) && readFileSync(report, "utf8").includes("done"), 15_000)).toBe(true);
    const text = readFileSync(report, "utf8");
    expect({ caught: text.includes("caught target"), wrote: text.includes("wrote") }).toEqual({ caught: false, wrote: false });
    expect(copy.digest()).toBe(before);
  });
});

describe("host file descriptors", () => {
  test("process.cwd through an inherited fd stays inside", () => {
    for (let fd = 3; fd <= 15; fd++) {
      const bundle = bundleWith(["sh", "-c", "pwd"], (config) => {
        config.process.cwd = `/proc/self/fd/${fd}`;
      });
      const id = newId(`cwd-fd-${fd}`);
      const r = ns(["run", "--bundle", bundle.dir, id]);
      // Either the init stage refuses the directory, or it is one inside the
      // container's root: never a path the kernel reports as unreachable.
      if (r.code === 0) expect({ fd, cwd: r.stdout.startsWith("/") && !r.stdout.includes("unreachable") }).toEqual({ fd, cwd: true });
      else expect({ fd, stderr: r.stderr }).toEqual({ fd, stderr: expect.stringMatching(/process\.cwd|"\/proc\/self\/fd\/\d+"/) });
      expect(leftovers(root, id)).toEqual([]);
    }
  });

  test("exec --cwd through an inherited fd stays inside", () => {
    const bundle = bundleWith(["sleep", "1000"]);
    const id = newId("exec-cwd-fd");
    expect(ns(["run", "-d", "--bundle", bundle.dir, id]).code).toBe(0);
    for (let fd = 3; fd <= 15; fd++) {
      const r = ns(["exec", "--cwd", `/proc/self/fd/${fd}`, id, "pwd"]);
      if (r.code === 0) expect({ fd, cwd: r.stdout.startsWith("/") && !r.stdout.includes("unreachable") }).toEqual({ fd, cwd: true });
      else expect({ fd, stderr: r.stderr }).toEqual({ fd, stderr: expect.stringContaining(`process.cwd "/proc/self/fd/${fd}"`) });
    }
  });

  test("container and exec'd processes hold only stdio", () => {
    const bundle = bundleWith(["sleep", "1000"]);
    const id = newId("fds");
    expect(ns(["run", "-d", "--bundle", bundle.dir, id]).code).toBe(0);
    const pid = stateOf(root, id).pid;
    expect(readdirSync(`/proc/${pid}/fd`).sort()).toEqual(["0", "1", "2"]);

    const pidFile = join(bundle.dir, "exec.pid");
    expect(ns(["exec", "-d", "--pid-file", pidFile, id, "sleep", "1000"]).code).toBe(0);
    const execPid = Number(readFileSync(pidFile, "utf8"));
    expect(readdirSync(`/proc/${execPid}/fd`).sort()).toEqual(["0", "1", "2"]);
  });

  test("--preserve-fds passes exactly N fds", () => {
    const bundle = bundleWith(["sleep", "1000"]);
    const id = newId("preserved");
    const files = [openSync(join(bundle.dir, "three"), "w"), openSync(join(bundle.dir, "four"), "w"), openSync(join(bundle.dir, "five"), "w")];
    try {
      expect(nsCall(root, ["create", "--preserve-fds", "2", "--bundle", bundle.dir, id], { extraFds: files }).code).toBe(0);
    } finally {
      for (const fd of files) closeSync(fd);
    }
    const pid = stateOf(root, id).pid;
    expect(ns(["start", id]).code).toBe(0);
    expect(waitUntil(() => readFileSync(`/proc/${pid}/comm`, "utf8") === "sleep\n")).toBe(true);
    expect(readdirSync(`/proc/${pid}/fd`).sort()).toEqual(["0", "1", "2", "3", "4"]);
  });
});

describe("the caller's working directory", () => {
  test("a bunfig.toml or .env there changes nothing in ns", () => {
    // ns runs as root from directories other people may control: Bun's
    // standalone executables would otherwise preload code named in a
    // bunfig.toml and load variables from a .env file.
    const dir = mkdtempSync(join(tmpdir(), "ns-test-cwd-"));
    try {
      const marker = join(dir, "ran");
      writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./preload.ts"]\n');
      writeFileSync(join(dir, "preload.ts"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x");\n`);
      writeFileSync(join(dir, ".env"), "NS_TEST_FROM_DOTENV=yes\n");
      const r = spawnSync(NS, ["--root", root, "run", "--", "sh", "-c", 'echo "dotenv=${NS_TEST_FROM_DOTENV:-unset}"'], {
        cwd: dir,
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(r.stdout).toBe("dotenv=unset\n");
      expect(r.status).toBe(0);
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
