// The rules that turn an OCI linux.cgroupsPath into a cgroup path.
import { CgroupError } from "./errors.ts";

/** The parent of the cgroups that ns creates for relative or absent cgroupsPath values. */
export const DEFAULT_PARENT = "/ns";

/**
 * Resolves linux.cgroupsPath to a cgroup path relative to each hierarchy's
 * root: absent gives "/ns/<id>", "/a/b" stays "/a/b", and a relative "a/b"
 * becomes "/ns/a/b". Raises an error for systemd-style "slice:prefix:name"
 * values, for ".." and for the root cgroup itself.
 */
export function resolveCgroupPath(id: string, cgroupsPath?: string): string {
  if (cgroupsPath === undefined || cgroupsPath === "") {
    if (id === "" || id.includes("/") || id === "." || id === "..") {
      throw new CgroupError(`container id ${JSON.stringify(id)} cannot name a cgroup: it must be non-empty and contain no "/"`);
    }
    return `${DEFAULT_PARENT}/${id}`;
  }

  const field = `linux.cgroupsPath ${JSON.stringify(cgroupsPath)}`;
  if (/^[^/:]*:[^:]*:[^:]*$/.test(cgroupsPath)) {
    throw new CgroupError(`${field}: systemd cgroup paths (slice:prefix:name) are not supported, because ns manages cgroupfs directly. Give a path such as /mygroup/${id || "<id>"}`);
  }
  if (cgroupsPath.includes("\0")) throw new CgroupError(`${field}: contains a NUL byte`);

  const segments = cgroupsPath.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.includes("..")) throw new CgroupError(`${field}: must not contain ".."`);
  if (segments.length === 0) throw new CgroupError(`${field}: names the root cgroup, which a container cannot use`);

  const relative = segments.join("/");
  return cgroupsPath.startsWith("/") ? `/${relative}` : `${DEFAULT_PARENT}/${relative}`;
}

/** True when `path` is DEFAULT_PARENT or below it. */
export function isUnderDefaultParent(path: string): boolean {
  return path === DEFAULT_PARENT || path.startsWith(`${DEFAULT_PARENT}/`);
}
