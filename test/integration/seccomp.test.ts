// linux.seccomp against a busybox bundle: the filter's verdicts as the
// container's programs see them, with and without noNewPrivileges, and for
// processes added with ns exec.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { makeBundle, NS, type Bundle } from "../helpers/bundle.ts";
import { leftovers, makeStateRoot, ns, processLeftovers, removeStateRoot } from "../helpers/ns.ts";
import { mobyDefaultProfile, toOciSeccomp } from "../fixtures/seccomp/moby.ts";

const SIGSYS = 31;
const PER_LINUX32 = 8;

let root: string;
let bundle: Bundle;
let counter = 0;

function nextId(): string {
  return `seccomp-${process.pid}-${++counter}`;
}

/** Runs args in the bundle with this seccomp profile and noNewPrivileges. */
function runWith(seccomp: unknown, args: string[], noNewPrivileges = true) {
  bundle.config.process.args = args;
  bundle.config.process.noNewPrivileges = noNewPrivileges;
  bundle.config.linux.seccomp = seccomp;
  bundle.save();
  const id = nextId();
  const result = ns(root, ["run", "--bundle", bundle.dir, id]);
  return { ...result, id };
}

function dockerProfile(): unknown {
  return toOciSeccomp(mobyDefaultProfile(), bundle.config.process.capabilities.bounding);
}

const denyMkdir = {
  defaultAction: "SCMP_ACT_ALLOW",
  syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO" }],
};

beforeAll(() => {
  root = makeStateRoot();
  bundle = makeBundle((config) => {
    // The tests write under /tmp of the rootfs.
    config.root.readonly = false;
  });
});

afterAll(() => {
  bundle?.remove();
  removeStateRoot(root);
});

describe("seccomp in ns run", () => {
  test("ERRNO rule makes mkdir fail with EPERM", () => {
    const r = runWith(denyMkdir, ["sh", "-c", "mkdir /tmp/denied; echo mkdir=$?; echo text > /tmp/file && cat /tmp/file; grep '^Seccomp:' /proc/self/status"]);
    expect(r.stderr).toContain("can't create directory '/tmp/denied': Operation not permitted");
    expect(r.stdout).toBe("mkdir=1\ntext\nSeccomp:\t2\n");
    expect(r.code).toBe(0);
    expect(leftovers(root, r.id)).toEqual([]);
  });

  test("errnoRet sets the errno", () => {
    const profile = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }] };
    const r = runWith(profile, ["mkdir", "/tmp/enosys"]);
    expect(r.stderr).toContain("Function not implemented");
    expect(r.code).toBe(1);
  });

  for (const action of ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS"]) {
    test(`${action} ends the process with SIGSYS`, () => {
      const profile = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["sync"], action }] };
      const direct = runWith(profile, ["sync"]);
      expect(direct.code).toBe(128 + SIGSYS);
      expect(leftovers(root, direct.id)).toEqual([]);

      const child = runWith(profile, ["sh", "-c", "sync; echo status=$?"]);
      expect(child.stdout).toBe(`status=${128 + SIGSYS}\n`);
      expect(child.code).toBe(0);
    });
  }

  test("argument filter denies only the matching personality", () => {
    const profile = {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [{ names: ["personality"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: PER_LINUX32, op: "SCMP_CMP_EQ" }] }],
    };
    const r = runWith(profile, ["sh", "-c", "linux32 true; echo linux32=$?; true; echo true=$?"]);
    expect(r.stdout).toBe("linux32=1\ntrue=0\n");
    expect(r.stderr).toContain("Operation not permitted");
  });

  test("masked comparison tests all 64 bits of the argument", () => {
    const CLONE_NEWUSER = 0x10000000n;
    const denyBits = (mask: bigint) => ({
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [{ names: ["unshare"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: Number(mask), valueTwo: Number(mask), op: "SCMP_CMP_MASKED_EQ" }] }],
    });
    const script = "unshare -U true; echo user=$?; unshare true; echo none=$?";

    const low = runWith(denyBits(CLONE_NEWUSER), ["sh", "-c", script]);
    expect(low.stdout).toBe("user=1\nnone=0\n");

    // unshare's int argument reaches the filter with a zero high word, so a
    // mask that also needs bit 32 never matches.
    const high = runWith(denyBits(CLONE_NEWUSER | (1n << 32n)), ["sh", "-c", script]);
    expect(high.stdout).toBe("user=0\nnone=0\n");
  });

  test("flags LOG and SPEC_ALLOW are accepted by the kernel", () => {
    const r = runWith({ ...denyMkdir, flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"] }, ["mkdir", "/tmp/flags"]);
    expect(r.stderr).toContain("Operation not permitted");
    expect(r.code).toBe(1);
  });

  test("unknown system call names are ignored", () => {
    const profile = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["no_such_syscall", "mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO" }] };
    const r = runWith(profile, ["sh", "-c", "mkdir /tmp/unknown; echo mkdir=$?"]);
    expect(r.stdout).toBe("mkdir=1\n");
    expect(r.code).toBe(0);
  });

  test("SCMP_ACT_NOTIFY fails the run naming the field", () => {
    const profile = {
      defaultAction: "SCMP_ACT_ALLOW",
      listenerPath: "/run/seccomp-agent.sock",
      syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_NOTIFY" }],
    };
    const r = runWith(profile, ["true"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported");
    expect(r.stderr).not.toContain("    at ");
    expect(leftovers(root, r.id)).toEqual([]);
  });
});

describe("Docker default profile", () => {
  const script = [
    "echo hello",
    "ls /bin/sh",
    "mkdir /tmp/docker-$$ && rmdir /tmp/docker-$$ && echo mkdir=ok",
    "unshare -U true; echo unshare=$?",
    "mount -t tmpfs none /mnt; echo mount=$?",
    "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status",
  ].join("; ");

  test("without seccomp, unshare of a user namespace works here", () => {
    // The control for the tests below: the container may create a user
    // namespace unless seccomp denies it.
    const r = runWith(undefined, ["sh", "-c", "unshare -U true; echo unshare=$?"]);
    expect(r.stdout).toBe("unshare=0\n");
  });

  for (const noNewPrivileges of [true, false]) {
    test(`shell works and unshare and mount fail, noNewPrivileges ${noNewPrivileges}`, () => {
      const r = runWith(dockerProfile(), ["sh", "-c", script], noNewPrivileges);
      expect(r.stdout).toBe(
        ["hello", "/bin/sh", "mkdir=ok", "unshare=1", "mount=1", `NoNewPrivs:\t${noNewPrivileges ? 1 : 0}`, "Seccomp:\t2", ""].join("\n"),
      );
      expect(r.stderr).toContain("unshare(0x10000000): Operation not permitted");
      expect(r.code).toBe(0);
      expect(leftovers(root, r.id)).toEqual([]);
    });
  }
});

describe("seccomp in ns exec", () => {
  /** Creates and starts a container running sleep; stdio goes to /dev/null so that ns create returns. */
  function startSleeper(seccomp: unknown, noNewPrivileges: boolean): string {
    bundle.config.process.args = ["sleep", "300"];
    bundle.config.process.noNewPrivileges = noNewPrivileges;
    bundle.config.linux.seccomp = seccomp;
    bundle.save();
    const id = nextId();
    const created = spawnSync(NS, ["--root", root, "create", "--bundle", bundle.dir, id], { stdio: "ignore", timeout: 60_000 });
    expect(created.status).toBe(0);
    expect(ns(root, ["start", id]).code).toBe(0);
    return id;
  }

  function remove(id: string): void {
    expect(ns(root, ["delete", "--force", id]).code).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
    expect(processLeftovers(id)).toEqual([]);
  }

  for (const noNewPrivileges of [true, false]) {
    test(`exec gets the container's filter, noNewPrivileges ${noNewPrivileges}`, () => {
      const id = startSleeper(dockerProfile(), noNewPrivileges);
      try {
        const r = ns(root, ["exec", id, "sh", "-c", "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; unshare -U true; echo unshare=$?"]);
        expect(r.stdout).toBe(`NoNewPrivs:\t${noNewPrivileges ? 1 : 0}\nSeccomp:\t2\nunshare=1\n`);
        expect(r.code).toBe(0);
      } finally {
        remove(id);
      }
    });
  }

  test("exec into a container without seccomp has no filter", () => {
    const id = startSleeper(undefined, true);
    try {
      const r = ns(root, ["exec", id, "grep", "^Seccomp:", "/proc/self/status"]);
      expect(r.stdout).toBe("Seccomp:\t0\n");
    } finally {
      remove(id);
    }
  });

  test("exec applies the container's ERRNO rule", () => {
    const id = startSleeper(denyMkdir, true);
    try {
      const r = ns(root, ["exec", id, "mkdir", "/tmp/from-exec"]);
      expect(r.stderr).toContain("Operation not permitted");
      expect(r.code).toBe(1);
    } finally {
      remove(id);
    }
  });
});
