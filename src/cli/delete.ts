// ns delete: remove a stopped container; --force kills a created, running or
// paused one first. runtime-spec runtime.md: deleting a container that is
// not stopped is an error and leaves it as it is.
import { UserError } from "../errors.ts";
import { log } from "../log.ts";
import { Container } from "../state/container.ts";
import { ContainerNotFoundError, CorruptStateError, StateStore } from "../state/store.ts";
import type { ParsedArgs } from "./args.ts";
import type { Globals } from "./commands.ts";

/** How long delete --force waits for the `ns run` that owns a container to clean up after it. */
const LAUNCHER_CLEANUP_MS = 5_000;
const SIGKILL = 9;

export default function del(args: ParsedArgs, globals: Globals): number {
  const id = args.positionals.id as string;
  const force = args.options.force === true;
  const store = new StateStore(globals.root);
  try {
    // The creator holds the lock until the record exists, so this is checked before taking it.
    if (Container.load(store, id).status() === "creating") {
      throw new UserError(`cannot delete container "${id}": it is being created by ns create or ns run; try again once that has set it up or failed`);
    }
    store.withLock(id, () => {
      const container = Container.load(store, id);
      const status = container.status();
      if (status !== "stopped" && !force) {
        throw new UserError(`cannot delete container "${id}": it is ${status}, not stopped (kill it first, or use --force)`);
      }
      if (status !== "stopped" && container.record.foreground && leaveToLauncher(store, container)) return;
      container.destroy();
    });
  } catch (e) {
    // As with runc, --force succeeds for a container that does not exist, so
    // that clients may call it to make sure a container is gone.
    if (force && e instanceof ContainerNotFoundError) return 0;
    if (force && e instanceof CorruptStateError) {
      removeCorruptState(store, e);
      return 0;
    }
    throw e;
  }
  return 0;
}

/**
 * Removes the state directory of a container whose state.json is corrupt.
 * Without a trustworthy record ns cannot tell which processes, cgroups and
 * network devices are the container's, so it leaves them alone and says so.
 */
function removeCorruptState(store: StateStore, corrupt: CorruptStateError): void {
  store.withLock(corrupt.id, () => store.remove(corrupt.id));
  log(
    "warn",
    `container "${corrupt.id}": removed only its state directory, because ${corrupt.file} is corrupt; ` +
      "any processes, cgroups or network devices it made are unknown to ns and were left as they are",
  );
}

/**
 * Kills a container whose foreground `ns run` is alive and waits for that
 * launcher to remove it, so that the cleanup and the poststop hooks run once.
 * Returns false when the launcher did not finish in time.
 */
function leaveToLauncher(store: StateStore, container: Container): boolean {
  // A frozen task takes SIGKILL only once thawed.
  if (container.status() === "paused") container.thaw();
  container.signal(SIGKILL, true);
  container.signal(SIGKILL, false);
  const deadline = Date.now() + LAUNCHER_CLEANUP_MS;
  while (Date.now() < deadline) {
    if (!store.exists(container.id)) return true;
    Bun.sleepSync(10);
  }
  return false;
}
