// Shared parts of the semantic checks: their signature and small helpers.
import type { NamespaceType } from "../../namespaces.ts";
import { ConfigError } from "../error.ts";
import type { LinuxNamespace, Spec } from "../schema.ts";

/** Records a problem that does not stop the container: the field and what is wrong. */
export type Warn = (field: string, detail: string) => void;

/** One semantic rule: throws ConfigError when the spec breaks it, or calls warn. */
export type Check = (spec: Spec, warn: Warn) => void;

export function fail(field: string, detail: string): never {
  throw new ConfigError(field, detail);
}

export function requireAbsolute(path: string, field: string): void {
  if (!path.startsWith("/")) fail(field, `expected an absolute path, got ${JSON.stringify(path)}`);
}

/** Finds the entry of linux.namespaces with this type, whether it creates or joins. */
export function namespaceEntry(spec: Spec, type: NamespaceType): LinuxNamespace | undefined {
  return spec.linux?.namespaces?.find((ns) => ns.type === type);
}

/** Reports whether the container gets a namespace of this type apart from the runtime's, new or joined by path. */
export function hasNamespace(spec: Spec, type: NamespaceType): boolean {
  return namespaceEntry(spec, type) !== undefined;
}

/** Reports whether the container creates a new namespace of this type (an entry without a path). */
export function createsNamespace(spec: Spec, type: NamespaceType): boolean {
  const entry = namespaceEntry(spec, type);
  return entry !== undefined && !entry.path;
}
