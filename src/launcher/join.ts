// Namespaces given by path in linux.namespaces: opened and checked before
// anything is created, so a wrong path fails early with its field named.
import { close, ioctlValue, O_CLOEXEC, O_RDONLY, open, SyscallError } from "../ffi/libc.ts";
import { UserError } from "../errors.ts";
import { JOIN_ORDER, namespaceList, type NamespaceEntry, type NamespaceType } from "../namespaces.ts";

const NS_GET_NSTYPE = 0xb703;

export interface JoinedNamespace {
  type: NamespaceType;
  path: string;
  fd: number;
}

/** Opens every namespace that has a path, in the order setns must join them. */
export function openJoinedNamespaces(namespaces: readonly NamespaceEntry[]): JoinedNamespace[] {
  const opened: JoinedNamespace[] = [];
  try {
    namespaces.forEach((ns, i) => {
      if (!ns.path) return;
      const field = `linux.namespaces[${i}].path`;
      let fd: number;
      try {
        fd = open(ns.path, O_RDONLY | O_CLOEXEC);
      } catch (e) {
        throw new UserError(`${field}: ${(e as Error).message}`, 1, { cause: e });
      }
      opened.push({ type: ns.type, path: ns.path, fd });
      let type: number;
      try {
        type = ioctlValue(fd, NS_GET_NSTYPE, 0, "ioctl(NS_GET_NSTYPE)");
      } catch (e) {
        if (e instanceof SyscallError && (e.code === "ENOTTY" || e.code === "EINVAL")) {
          throw new UserError(`${field}: "${ns.path}" is not a namespace file`);
        }
        throw e;
      }
      if (type !== namespaceList[ns.type].flag) {
        const actual = Object.entries(namespaceList).find(([, entry]) => entry.flag === type)?.[0];
        const is = actual === undefined ? "is a namespace of another type" : `is ${namespacePhrase(actual)}`;
        throw new UserError(`${field}: "${ns.path}" ${is}, not ${namespacePhrase(ns.type)}`);
      }
    });
  } catch (e) {
    for (const ns of opened) close(ns.fd);
    throw e;
  }
  return opened.sort((a, b) => JOIN_ORDER.indexOf(a.type) - JOIN_ORDER.indexOf(b.type));
}

/** "an ipc namespace", "a uts namespace": the article goes by how the type is read aloud. */
function namespacePhrase(type: string): string {
  return `${/^[aeio]/.test(type) ? "an" : "a"} ${type} namespace`;
}

export function closeJoined(joined: readonly JoinedNamespace[]): void {
  for (const ns of joined) {
    try {
      close(ns.fd);
    } catch {
      // Already closed.
    }
  }
}
