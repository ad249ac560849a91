// Turning arbitrary owner objects (from the API server or from files) into OwnerRefs.
import { ownerKeyFromObject } from '../core/attribution.js';
import { coversNamespace } from '../core/owner-scope.js';
import type { OwnerRef } from '../core/model.js';
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
