// Semantic checks of a parsed config: the rules the JSON schema cannot state.
// Each check is a small function; the first one to fail throws a ConfigError
// naming the field and what it needs. Problems that do not stop the container
// are returned as warnings.
import { posix } from "node:path";
import { ConfigError } from "./error.ts";
import type { Process, Spec } from "./schema.ts";
import { fail, requireAbsolute, type Check, type Warn } from "./validate/check.ts";
import { checkDevices, checkIntelRdt, checkResources, checkSeccomp, checkSysctl } from "./validate/linux.ts";
import {
  checkMappingRanges,
  checkMaskedAndReadonlyPaths,
  checkNamespaceList,
  checkNetDevices,
  checkSysfsMount,
  checkTimeNamespace,
  checkUserNamespace,
  checkUtsNamespace,
  checkIdMappings,
} from "./validate/namespaces.ts";
import {
  checkAdditionalGids,
  checkArgs,
  checkCapabilities,
  checkCwd,
  checkEnv,
  checkExecCpuAffinity,
  checkIoPriority,
  checkRlimits,
  checkScheduler,
} from "./validate/process.ts";

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

function checkOciVersion(spec: Spec): void {
  const match = SEMVER.exec(spec.ociVersion);
  if (match === null) fail("ociVersion", `invalid version ${JSON.stringify(spec.ociVersion)} (expected a version such as "1.2.0")`);
  if (match[1] !== "1") fail("ociVersion", `unsupported version ${JSON.stringify(spec.ociVersion)} (ns reads runtime-spec 1.x)`);
}

/** Requires `root`, which the spec makes mandatory on Linux. A relative root.path is relative to the bundle. */
function checkRoot(spec: Spec): void {
  if (spec.root === undefined) fail("root", "required field is missing");
  if (spec.root.path === "") fail("root.path", "expected a path, got an empty string");
}

/**
 * Runtime-spec 1.0 and 1.1 required absolute mount destinations. Version 1.2
 * allows a relative one, read as relative to "/", and deprecates it. runc 1.1
 * mounts it relative to "/" with a warning, and so does ns.
 */
function checkMounts(spec: Spec, warn: Warn): void {
  spec.mounts?.forEach((mount, i) => {
    const field = `mounts[${i}]`;
    if (mount.destination === "") fail(`${field}.destination`, "expected a path, got an empty string");
    if (!mount.destination.startsWith("/")) {
      const absolute = posix.join("/", mount.destination);
      warn(`${field}.destination`, `relative path ${JSON.stringify(mount.destination)} is deprecated; mounting at ${JSON.stringify(absolute)}`);
    }

    const { uidMappings, gidMappings } = mount;
    if (uidMappings === undefined && gidMappings === undefined) return;
    if (!uidMappings?.length || !gidMappings?.length) {
      fail(field, "an id-mapped mount needs both uidMappings and gidMappings");
    }
    const options = mount.options ?? [];
    if (mount.type !== "bind" && !options.includes("bind") && !options.includes("rbind")) {
      fail(field, 'uidMappings and gidMappings apply only to a bind mount (type "bind" or option "bind" or "rbind")');
    }
    checkIdMappings(uidMappings, `${field}.uidMappings`);
    checkIdMappings(gidMappings, `${field}.gidMappings`);
  });
}

/** Requires absolute hook paths, as the spec does. */
function checkHooks(spec: Spec): void {
  for (const [stage, hooks] of Object.entries(spec.hooks ?? {})) {
    hooks?.forEach((hook, i) => requireAbsolute(hook.path, `hooks.${stage}[${i}].path`));
  }
}

/** Every rule, in the order the fields appear in config.md and config-linux.md. */
export const CHECKS: readonly Check[] = [
  checkOciVersion,
  checkRoot,
  checkMounts,
  checkArgs,
  checkAdditionalGids,
  checkCwd,
  checkEnv,
  checkRlimits,
  checkCapabilities,
  checkScheduler,
  checkIoPriority,
  checkExecCpuAffinity,
  checkUtsNamespace,
  checkHooks,
  checkNamespaceList,
  checkUserNamespace,
  checkMappingRanges,
  checkTimeNamespace,
  checkDevices,
  checkNetDevices,
  checkResources,
  checkSysctl,
  checkSeccomp,
  checkMaskedAndReadonlyPaths,
  checkSysfsMount,
  checkIntelRdt,
];

/**
 * Runs every check on spec. Throws ConfigError for the first rule broken,
 * naming `file` when given, and returns the warnings as one-line messages.
 */
export function validateSpec(spec: Spec, file?: string): string[] {
  const warnings: string[] = [];
  const warn: Warn = (field, detail) => warnings.push(new ConfigError(field, detail, file).message);
  try {
    for (const check of CHECKS) check(spec, warn);
  } catch (error) {
    if (error instanceof ConfigError && file !== undefined) throw error.inFile(file);
    throw error;
  }
  return warnings;
}

/** Returns spec.process, or throws ConfigError if it is missing. create and run need a process, but other commands do not. */
export function requireProcess(spec: Spec, file?: string): Process {
  if (spec.process === undefined) throw new ConfigError("process", "required to create a container, but missing", file);
  return spec.process;
}
