// Running a step inside another network namespace on the calling thread.
//
// A netlink socket belongs to the network namespace of the thread that
// created it, for its whole life. So to talk to another namespace, the
// calling thread joins it with setns(CLONE_NEWNET), creates the socket and
// joins its own namespace again. The kernel allows setns into a network
// namespace for one thread of a threaded process (it refuses only user
// namespaces, and mount namespaces while the fs struct is shared), and the
// other threads of the Bun process stay where they are.
import { statSync } from "node:fs";
import { close, open, O_CLOEXEC, O_RDONLY, setns, SyscallError } from "../ffi/libc.ts";
import { CLONE_NEWNET } from "../namespaces.ts";

/** The network namespace of the calling thread, which can differ from the process's. */
export const THREAD_NETNS = "/proc/thread-self/ns/net";

/** The identity of a namespace file: two paths name the same namespace when both numbers match. */
export interface NamespaceId {
  dev: number;
  ino: number;
}

/** Returns the device and inode of a namespace file such as /proc/PID/ns/net. */
export function namespaceId(path: string): NamespaceId {
  const st = statSync(path);
  return { dev: st.dev, ino: st.ino };
}

export function sameNamespace(a: NamespaceId, b: NamespaceId): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * Calls fn with the calling thread inside the network namespace at path and
 * then returns the thread to its own namespace. fn must be synchronous: an
 * await would let other JavaScript run in the wrong namespace.
 */
export function inNetworkNamespace<T>(path: string, fn: () => T): T {
  const target = open(path, O_RDONLY | O_CLOEXEC);
  let home = -1;
  try {
    home = open(THREAD_NETNS, O_RDONLY | O_CLOEXEC);
    setns(target, CLONE_NEWNET, path);
    try {
      return fn();
    } finally {
      try {
        setns(home, CLONE_NEWNET, THREAD_NETNS);
      } catch (e) {
        // The thread would go on in the wrong namespace; nothing after this may trust it.
        const errno = e instanceof SyscallError ? e.errno : 0;
        throw new SyscallError("setns", errno, `back from ${path} to the thread's own network namespace`, { cause: e });
      }
    }
  } finally {
    if (home >= 0) close(home);
    close(target);
  }
}
