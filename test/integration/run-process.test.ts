// ns run and the container process: what `process`, hostname, sysctl and
// oomScoreAdj in config.json turn into, as the process sees it from inside.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { CAPABILITIES, type CapabilityName } from "../../src/capabilities.ts";
import { makeStateRoot, removeStateRoot } from "../helpers/ns.ts";
import { expectClean, host, runScript, statusFields } from "../helpers/run.ts";

// Each test starts containers, which takes longer than bun's 5 s default on a busy machine.
setDefaultTimeout(60_000);

let root: string;
let counter = 0;

beforeAll(() => {
  root = makeStateRoot();
});

afterAll(() => {
  removeStateRoot(root);
});

function run(script: string, edit?: (config: any) => void) {
  const r = runScript(root, `process-${process.pid}-${++counter}`, script, { edit });
  expectClean(root, r.id);
  return r;
}

function mask(...names: CapabilityName[]): bigint {
  return names.reduce((m, name) => m | (1n << BigInt(CAPABILITIES[name])), 0n);
}

/** Reads the five capability sets of /proc/self/status as masks. */
function capabilitySets(status: string) {
  const fields = statusFields(status);
  const read = (name: string) => BigInt(`0x${fields[name]}`);
  return { bounding: read("CapBnd"), effective: read("CapEff"), permitted: read("CapPrm"), inheritable: read("CapInh"), ambient: read("CapAmb") };
}

describe("container process", () => {
  test("runs as pid 1 with the arguments of the config", () => {
    const r = run('echo "pid=$$ args=$0"');
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`pid=1 args=${r.id}\n`);
    expect(r.code).toBe(0);
  });

  test("sets hostname and domainname", () => {
    const r = run("hostname; cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname", (c) => {
      c.hostname = "box-two";
      c.domainname = "example.test";
    });
    expect(r.stdout).toBe("box-two\nbox-two\nexample.test\n");
  });

  test("keeps the default capabilities of ns spec as root", () => {
    const r = run("grep Cap /proc/self/status");
    const caps = capabilitySets(r.stdout);
    const expected = mask("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
    expect(caps.bounding).toBe(expected);
    expect(caps.effective).toBe(expected);
    expect(caps.permitted).toBe(expected);
    expect(caps.inheritable).toBe(0n);
    // ambient needs each capability in permitted and inheritable, and the default config has no inheritable set.
    expect(caps.ambient).toBe(0n);
  });

  test("raises ambient capabilities that are also inheritable", () => {
    const r = run("grep Cap /proc/self/status", (c) => {
      c.process.capabilities = {
        bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
        effective: ["CAP_KILL", "CAP_NET_RAW"],
        permitted: ["CAP_KILL", "CAP_NET_RAW"],
        inheritable: ["CAP_KILL", "CAP_NET_RAW"],
        ambient: ["CAP_KILL", "CAP_NET_RAW"],
      };
    });
    const caps = capabilitySets(r.stdout);
    expect(caps.bounding).toBe(mask("CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"));
    expect(caps.inheritable).toBe(mask("CAP_KILL", "CAP_NET_RAW"));
    expect(caps.ambient).toBe(mask("CAP_KILL", "CAP_NET_RAW"));
    // execve as uid 0 would add the bounding set to permitted and effective
    // (capabilities(7)), but no_new_privs keeps them within the old permitted set.
    expect(caps.permitted).toBe(mask("CAP_KILL", "CAP_NET_RAW"));
    expect(caps.effective).toBe(mask("CAP_KILL", "CAP_NET_RAW"));
  });

  test("gives a non-root user only its ambient capabilities after execve", () => {
    const r = run("grep Cap /proc/self/status", (c) => {
      c.process.user = { uid: 1000, gid: 1000 };
      c.process.capabilities = {
        bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SYS_ADMIN"],
        effective: ["CAP_KILL"],
        permitted: ["CAP_KILL", "CAP_NET_RAW"],
        inheritable: ["CAP_CHOWN", "CAP_NET_RAW"],
        ambient: ["CAP_NET_RAW"],
      };
    });
    const caps = capabilitySets(r.stdout);
    expect(caps.bounding).toBe(mask("CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SYS_ADMIN"));
    expect(caps.inheritable).toBe(mask("CAP_CHOWN", "CAP_NET_RAW"));
    expect(caps.ambient).toBe(mask("CAP_NET_RAW"));
    expect(caps.permitted).toBe(mask("CAP_NET_RAW"));
    expect(caps.effective).toBe(mask("CAP_NET_RAW"));
  });

  test("switches to the uid, gid and additional groups of process.user", () => {
    const r = run("id -u; id -g; id -G; grep -E '^(Uid|Gid|Groups):' /proc/self/status", (c) => {
      c.process.user = { uid: 1000, gid: 1000, additionalGids: [10, 65534] };
    });
    const [uid, gid, groups, ...status] = r.stdout.trim().split("\n");
    expect(uid).toBe("1000");
    expect(gid).toBe("1000");
    expect(groups).toBe("1000 10 65534");
    const fields = statusFields(status.join("\n"));
    expect(fields.Uid!.split(/\s+/)).toEqual(["1000", "1000", "1000", "1000"]);
    expect(fields.Gid!.split(/\s+/)).toEqual(["1000", "1000", "1000", "1000"]);
    expect(fields.Groups).toBe("10 65534");
  });

  test("clears the supplementary groups when additionalGids is empty", () => {
    const r = run("grep '^Groups:' /proc/self/status");
    expect(statusFields(r.stdout).Groups).toBe("");
  });

  test("sets the umask of process.user", () => {
    expect(run("umask", (c) => (c.process.user.umask = 0o027)).stdout).toBe("0027\n");
    expect(run("umask").stdout).toBe("0022\n");
  });

  test("applies process.rlimits", () => {
    const r = run("ulimit -Sn; ulimit -Hn; ulimit -Ss; ulimit -Hs; ulimit -Sc; ulimit -Hc", (c) => {
      c.process.rlimits = [
        { type: "RLIMIT_NOFILE", soft: 256, hard: 512 },
        { type: "RLIMIT_STACK", soft: 4 * 1024 * 1024, hard: 8 * 1024 * 1024 },
        { type: "RLIMIT_CORE", soft: 0, hard: 0 },
      ];
    });
    expect(r.stdout.trim().split("\n")).toEqual(["256", "512", "4096", "8192", "0", "0"]);
  });

  test("passes process.env and adds HOME from /etc/passwd", () => {
    const r = run("env", (c) => {
      c.process.user = { uid: 1000, gid: 1000 };
      c.process.env = ["PATH=/bin:/usr/bin", "FOO=bar baz", "EMPTY="];
    });
    const env = r.stdout.trim().split("\n").sort();
    // sh itself adds PWD and SHLVL.
    expect(env).toEqual(["EMPTY=", "FOO=bar baz", "HOME=/home/user", "PATH=/bin:/usr/bin", "PWD=/", "SHLVL=1"]);
  });

  test("keeps a HOME that process.env sets", () => {
    const r = run('echo "$HOME"', (c) => c.process.env.push("HOME=/srv"));
    expect(r.stdout).toBe("/srv\n");
  });

  test("starts in process.cwd", () => {
    const r = run("pwd", (c) => (c.process.cwd = "/home/user"));
    expect(r.stdout).toBe("/home/user\n");
  });

  test("creates a missing process.cwd", () => {
    const r = run("pwd; stat -c '%a %u' .", (c) => {
      c.process.cwd = "/srv/new/dir";
      c.root.readonly = false;
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("/srv/new/dir\n755 0\n");
  });

  // mountAll creates it before root.readonly takes effect, as runc does.
  test("creates a missing process.cwd on a read-only rootfs", () => {
    const r = run("pwd", (c) => (c.process.cwd = "/srv/new/dir"));
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("/srv/new/dir\n");
  });

  test("finds a relative program path from process.cwd", () => {
    const id = `process-${process.pid}-${++counter}`;
    const r = runScript(root, id, "", {
      edit: (c) => {
        c.process.args = ["./hello.sh", id];
        c.process.cwd = "/app";
      },
      prepare: (bundle) => {
        host(["mkdir", "-p", `${bundle.rootfs}/app`]);
        writeFileSync(`${bundle.rootfs}/app/hello.sh`, '#!/bin/sh\necho "hello from $(pwd)"\n', { mode: 0o755 });
      },
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("hello from /app\n");
    expectClean(root, id);
  });

  test("writes linux.sysctl in the container's namespaces only", () => {
    const hostShmmax = readFileSync("/proc/sys/kernel/shmmax", "utf8");
    const hostForward = readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8");
    const r = run("cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_forward", (c) => {
      c.linux.sysctl = { "kernel.shmmax": "123456789", "net.ipv4.ip_forward": hostForward.trim() === "1" ? "0" : "1" };
    });
    expect(r.stdout).toBe(`123456789\n${hostForward.trim() === "1" ? "0" : "1"}\n`);
    expect(readFileSync("/proc/sys/kernel/shmmax", "utf8")).toBe(hostShmmax);
    expect(readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8")).toBe(hostForward);
  });

  test("sets process.oomScoreAdj", () => {
    expect(run("cat /proc/self/oom_score_adj", (c) => (c.process.oomScoreAdj = 123)).stdout).toBe("123\n");
  });

  test("sets no_new_privs only when noNewPrivileges is true", () => {
    const on = run("grep NoNewPrivs /proc/self/status");
    expect(statusFields(on.stdout).NoNewPrivs).toBe("1");
    const off = run("grep NoNewPrivs /proc/self/status", (c) => (c.process.noNewPrivileges = false));
    expect(statusFields(off.stdout).NoNewPrivs).toBe("0");
  });

  test("starts with no blocked signals", () => {
    const r = run("grep '^SigBlk:' /proc/self/status");
    expect(statusFields(r.stdout).SigBlk).toBe("0000000000000000");
  });

  // Bun, the init stage, ignores SIGPIPE and SIGXFSZ; ns_exec resets them before execve.
  test("starts with no ignored signals", () => {
    const r = run("grep '^SigIgn:' /proc/self/status");
    // busybox sh ignores SIGQUIT before it executes its last command (under runc too);
    // SIGPIPE (13) and SIGXFSZ (25) must be at their defaults.
    const ignored = BigInt(`0x${statusFields(r.stdout).SigIgn}`);
    expect(ignored & ((1n << 12n) | (1n << 24n))).toBe(0n);
  });

  test("gives stdin, stdout and stderr of ns run to the container", () => {
    const id = `process-${process.pid}-${++counter}`;
    const r = runScript(root, id, "read line; echo \"out:$line\"; echo \"err:$line\" >&2", { input: "hello\n" });
    expect(r.stdout).toBe("out:hello\n");
    expect(r.stderr).toBe("err:hello\n");
    expectClean(root, id);
  });

  test("passes no other fds without --preserve-fds", () => {
    const r = run("ls /proc/self/fd | sort -n | tr '\\n' ' '");
    // 0-2, and 3 for the directory ls reads.
    expect(r.stdout).toBe("0 1 2 3 ");
  });
});
