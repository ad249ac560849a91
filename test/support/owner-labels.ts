// The labels a test writes on a runtime resource it makes for an owner: the ownership contract
// (src/core/owner-scope.ts ownerContractLabels) with the owner key under the test's own label key.
// A policy judges a resource only when its labels place the owner inside the policy's scope:
// reaper.dev/owner-kind (the group-qualified kind, e.g. Topology.reaper.dev) and, when the policy
// restricts the kind to namespaces, reaper.dev/owner-namespace. Those two keep their reaper.dev/
// names whatever label the key is under. reaper.dev/owner-uid and reaper.dev/owner-name are left
// out unless they are the test's key: a policy of another test matching them on the shared engine
// would then claim the resource.
import { ownerContractLabels } from '../../src/core/owner-scope.js';
import { OWNER_KIND_LABEL, OWNER_NAMESPACE_LABEL } from '../../src/core/policy.js';

/** The kind and namespace of an owner; a Topology of no namespace unless said. */
export interface OwnerScope {
  readonly apiVersion?: string | undefined;
  readonly kind?: string | undefined;
  readonly namespace?: string | undefined;
}

/** An owner object as read from the API server (or a manifest). */
export interface OwnerObjectLike {
  readonly apiVersion?: string | undefined;
  readonly kind?: string | undefined;
  readonly metadata?: { readonly namespace?: string | undefined; readonly uid?: string | undefined } | undefined;
}

/**
 * `{ [labelKey]: key }` plus the kind label and, when `owner.namespace` is set, the namespace
 * label: what a deployer writes for an owner of that kind and namespace whose key is `key`.
 */
export function ownerLabels(labelKey: string, key: string, owner: OwnerScope = {}): Record<string, string> {
  const contract = ownerContractLabels({
    apiVersion: owner.apiVersion ?? 'reaper.dev/v1alpha1',
    kind: owner.kind ?? 'Topology',
    namespace: owner.namespace,
    uid: key,
  });
  const labels: Record<string, string> = { [OWNER_KIND_LABEL]: contract[OWNER_KIND_LABEL]! };
  if (contract[OWNER_NAMESPACE_LABEL] !== undefined) labels[OWNER_NAMESPACE_LABEL] = contract[OWNER_NAMESPACE_LABEL];
  labels[labelKey] = key;
  return labels;
}

/** ownerLabels for an owner object, keyed by its uid. */
export function labelsOfOwner(labelKey: string, object: OwnerObjectLike): Record<string, string> {
  const uid = object.metadata?.uid;
  if (!uid) throw new Error('the owner has no metadata.uid: read it back from the API server');
  return ownerLabels(labelKey, uid, {
    apiVersion: object.apiVersion,
    kind: object.kind,
    namespace: object.metadata?.namespace,
  });
}
