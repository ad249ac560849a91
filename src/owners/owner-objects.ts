// Turning arbitrary owner objects (from the API server or from files) into OwnerRefs.
import { ownerKeyFromObject } from '../core/attribution.js';
import { coversNamespace } from '../core/owner-scope.js';
import type { OwnerRef } from '../core/model.js';
import type { OwnerLookup } from '../core/owner-lookup.js';
import type { OwnerKeyRule, OwnerKind } from '../core/policy.js';
import type { FieldPath } from '../kube/projection.js';

export interface KubeObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; deletionTimestamp?: unknown };
}

export function describeKeyRule(kind: OwnerKind): string {
  return kind.key.type === 'field' ? `.${kind.key.path.join('.')}` : kind.key.type;
}

/**
 * Adds to `found` what one read of `lookup`'s object says: its key when the object still has that key
 * (a re-created owner has another uid), a problem line when no key can be derived, nothing otherwise.
 * The object of uid `deleting` counts as gone once its deletion is under way: the owner a teardown
 * tears down, which reaper's finalizer holds.
 */
export function noteOwnerRead(
  found: { readonly keys: Set<string>; readonly errors: string[] },
  lookup: OwnerLookup,
  object: KubeObjectLike,
  deleting?: string,
): void {
  if (deleting !== undefined && object.metadata?.uid === deleting && object.metadata.deletionTimestamp) return;
  const ref = toOwnerRef(object, lookup.owner);
  if (typeof ref === 'string') found.errors.push(ref);
  else if (ref.key === lookup.key) found.keys.add(ref.key);
}

/** The OwnerRef of `object` under `kind`, or a problem line when no key can be derived. */
export function toOwnerRef(object: KubeObjectLike, kind: OwnerKind): OwnerRef | string {
  const name = object.metadata?.name ?? '(unnamed)';
  const key = ownerKeyFromObject(object, kind.key);
  if (key === undefined) {
    const where = object.metadata?.namespace ? `${object.metadata.namespace}/${name}` : name;
    return `${kind.kind} ${where} has no owner key ${describeKeyRule(kind)}`;
  }
  return {
    apiVersion: kind.apiVersion,
    kind: kind.kind,
    ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
    name,
    ...(object.metadata?.uid ? { uid: object.metadata.uid } : {}),
    key,
  };
}

/**
 * The fields of an owner object a key rule reads beyond the metadata every projection keeps
 * (uid, name, namespace): what an owner cache must hold for its keys.
 */
export function fieldsReadBy(rule: OwnerKeyRule): FieldPath[] {
  return rule.type === 'field' ? [rule.path] : [];
}

export function namespaceSelected(kind: OwnerKind, namespace: string | undefined): boolean {
  return coversNamespace(kind, namespace);
}
