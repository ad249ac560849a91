// What an informer keeps of each object (design §4): the metadata every reader needs, plus the
// fields named, and nothing else. Owners are cached by every agent, and an agent needs of an owner
// only its identity and the field its policies' key rule names, so the spec, the status and the
// annotations (kubectl's last-applied copy of the spec among them) are dropped the moment an object
// is decoded. When every named field is under metadata the API server sends metadata alone
// (PartialObjectMetadata); otherwise whole objects come and are cut down here. Pure.

/** A path of own properties, e.g. ['spec', 'labId']. */
export type FieldPath = readonly string[];

/**
 * An informer's view of its objects: the kept metadata and `fields`. Informers without one keep
 * whole objects (less managedFields).
 */
export interface Projection {
  /** Sorted, without duplicates, and without a path that another one contains. */
  readonly fields: readonly FieldPath[];
}

/**
 * The metadata kept under every projection: the cache's identity (name, namespace), the watch's
 * position (resourceVersion, which the list-watch reads off every event), and what the owner
 * controller decides on (uid, generation, deletionTimestamp, finalizers).
 */
export const KEPT_METADATA = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'deletionTimestamp',
  'finalizers',
] as const;

export const METADATA_ONLY: Projection = { fields: [] };

/** A projection keeping `fields`, normalized so that two of the same meaning compare equal. */
export function projectionOf(fields: Iterable<FieldPath>): Projection {
  const sorted = [...fields]
    .filter((path) => path.length > 0)
    .map((path) => [...path])
    .sort(comparePaths);
  const kept: FieldPath[] = [];
  for (const path of sorted) {
    // Sorted, a path's ancestors come before it: one kept already contains it.
    if (kept.some((other) => isPrefix(other, path))) continue;
    kept.push(path);
  }
  return { fields: kept.filter((path) => !isKeptMetadata(path)) };
}

/** Whether the API server's metadata alone (PartialObjectMetadata) holds every field of `projection`. */
export function readsOnlyMetadata(projection: Projection): boolean {
  return projection.fields.every((path) => path[0] === 'metadata');
}

export function sameProjection(a: Projection | undefined, b: Projection | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.fields.length === b.fields.length && a.fields.every((path, i) => comparePaths(path, b.fields[i]!) === 0);
}

/** e.g. "metadata" or "metadata, .spec.labId"; "whole objects" without a projection. */
export function describeProjection(projection: Projection | undefined): string {
  if (projection === undefined) return 'whole objects';
  return ['metadata', ...projection.fields.map((path) => `.${path.join('.')}`)].join(', ');
}

/**
 * The object as `projection` keeps it: the kept metadata, the fields, and `apiVersion`/`kind` as
 * the informer's (a PartialObjectMetadata says `meta.k8s.io/v1`). Missing fields stay missing. The
 * values are the decoded object's own, not copies: everything else becomes garbage with it.
 */
export function projectObject<T>(object: T, projection: Projection, gvk: { apiVersion: string; kind: string }): T {
  const source = object as { metadata?: unknown } | null;
  if (typeof source !== 'object' || source === null) return object;
  const projected: Record<string, unknown> = { apiVersion: gvk.apiVersion, kind: gvk.kind };
  const metadata: Record<string, unknown> = {};
  const sourceMetadata = source.metadata;
  if (typeof sourceMetadata === 'object' && sourceMetadata !== null) {
    for (const name of KEPT_METADATA) {
      if (Object.hasOwn(sourceMetadata, name)) metadata[name] = (sourceMetadata as Record<string, unknown>)[name];
    }
    if (typeof metadata.namespace === 'string') metadata.namespace = sharedNamespace(metadata.namespace);
  }
  projected.metadata = metadata;
  for (const path of projection.fields) copyPath(source, projected, path);
  return projected as T;
}

/**
 * Every decoded object brings its own copy of its namespace's name; a cache of 20,000 owners in a
 * few namespaces then holds 20,000 equal strings. One string per name instead (the same value, so
 * projecting stays pure to its callers). A cluster has few namespaces; the table starts over past
 * MAX_SHARED_NAMESPACES rather than grow without bound.
 */
const namespaceNames = new Map<string, string>();
const MAX_SHARED_NAMESPACES = 10_000;

function sharedNamespace(name: string): string {
  const shared = namespaceNames.get(name);
  if (shared !== undefined) return shared;
  if (namespaceNames.size >= MAX_SHARED_NAMESPACES) namespaceNames.clear();
  namespaceNames.set(name, name);
  return name;
}

/** Copies the value at `path` (own properties only), creating the objects on the way. */
function copyPath(from: unknown, to: Record<string, unknown>, path: FieldPath): void {
  let source = from;
  let target = to;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    if (typeof source !== 'object' || source === null || !Object.hasOwn(source, segment)) return;
    source = (source as Record<string, unknown>)[segment];
    if (i === path.length - 1) {
      setOwn(target, segment, source);
      return;
    }
    let next = Object.hasOwn(target, segment) ? target[segment] : undefined;
    if (typeof next !== 'object' || next === null) setOwn(target, segment, (next = {}));
    target = next as Record<string, unknown>;
  }
}

/** An own data property, whatever its name: `__proto__` as a key must not set a prototype. */
function setOwn(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

function isKeptMetadata(path: FieldPath): boolean {
  return path.length >= 2 && path[0] === 'metadata' && (KEPT_METADATA as readonly string[]).includes(path[1]!);
}

function isPrefix(prefix: FieldPath, path: FieldPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}

function comparePaths(a: FieldPath, b: FieldPath): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}
