// ns features: the OCI features document (runtime-spec features.md).
import { capabilityNames } from "../capabilities.ts";
import { OCI_VERSION } from "./main.ts";

export default function features(): number {
  const doc = {
    ociVersionMin: "1.0.0",
    ociVersionMax: OCI_VERSION,
    hooks: ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
    mountOptions: [
      "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "idmap", "lazytime", "loud",
      "mand", "noatime", "nodev", "nodiratime", "noexec", "nolazytime", "nomand", "norelatime", "nostrictatime",
      "nosuid", "nosymfollow", "private", "rbind", "relatime", "remount", "ridmap", "ro", "rprivate", "rshared",
      "rslave", "runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid", "sync", "unbindable",
      "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec", "rnodiratime", "rdiratime",
      "rrelatime", "rnorelatime", "rnoatime", "ratime", "rstrictatime", "rnostrictatime", "rnosymfollow", "rsymfollow",
    ],
    linux: {
      namespaces: ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"],
      capabilities: capabilityNames(),
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false },
      seccomp: { enabled: false },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: { "io.github.ns.network": "see docs/networking.md" },
  };
  process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
  return 0;
}
