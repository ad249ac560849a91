// The ReapPolicies as the controller knows them: each object from the informer with its parse
// result, and the questions the controllers ask of the set: which kinds need informers, which
// policies manage an owner. A policy that does not parse manages nothing.
import type { ParseResult } from '../src/api/parse-policy.js';
import { parsePolicy } from '../src/api/parse-policy.js';
import type { ReapPolicy } from '../src/api/types.js';
import { APPROVE_SWEEP_ANNOTATION } from '../src/core/policy.js';
import type { OwnerKind, Policy } from '../src/core/policy.js';
import type { InformerTarget } from '../src/kube/informer.js';
import type { FieldPath } from '../src/kube/projection.js';
import { projectionOf } from '../src/kube/projection.js';
import type { ClaimOverlap } from '../src/core/owner-scope.js';
import { rivalsAmong } from '../src/core/owner-scope.js';
import { fieldsReadBy, namespaceSelected } from '../src/owners/owner-objects.js';
import { compareText } from '../src/core/text-order.js';

export interface RegisteredPolicy {
  readonly object: ReapPolicy;
  readonly parsed: ParseResult;
}

/** A policy managing an owner, with the owner kind entry that selects it. */
export interface ManagingPolicy {
  readonly policy: Policy;
  readonly ownerKind: OwnerKind;
}

/** The owner kinds reaper itself defines: the owner controllers keep their status. */
export const BUILT_IN_OWNER_KINDS: readonly InformerTarget[] = [
  { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology' },
  { apiVersion: 'reaper.dev/v1alpha1', kind: 'Sandbox' },
];

export function isBuiltInOwnerKind(target: Pick<InformerTarget, 'apiVersion' | 'kind'>): boolean {
  return BUILT_IN_OWNER_KINDS.some((k) => k.apiVersion === target.apiVersion && k.kind === target.kind);
}

export class PolicyRegistry {
  private readonly policies = new Map<string, RegisteredPolicy>();
  /** Who defers to whom, worked out again after any change to the set. */
  private rivalry: ReturnType<typeof rivalsAmong> | undefined;

  /**
   * Records the policy; returns whether a sweep is due because of the change: a new policy, a new
   * generation (spec), or a changed approval annotation. Status-only updates (reaper's own writes) are not.
   */
  upsert(object: ReapPolicy): boolean {
    const name = object.metadata.name;
    const before = this.policies.get(name);
    this.policies.set(name, { object, parsed: parsePolicy(object) });
    // Claims live in the spec: a status write (every agent's, on a fleet) leaves who rivals whom as it was.
    if (before?.object.metadata.generation !== object.metadata.generation) this.rivalry = undefined;
    if (!before) return true;
    return (
      before.object.metadata.generation !== object.metadata.generation ||
      approvalOf(before.object) !== approvalOf(object)
    );
  }

  remove(name: string): boolean {
    this.rivalry = undefined;
    return this.policies.delete(name);
  }

  /**
   * The valid policy as a sweep uses it: with the other policies that may claim the same resources
   * with other owners, so that it leaves alone what one of them could own.
   */
  scoped(policy: Policy): Policy {
    return { ...policy, rivals: this.rivals().rivals.get(policy.name) ?? [] };
  }

  /** Where another policy claims this one's label key or name pattern word for word, with other owners. */
  overlapsOf(name: string): ClaimOverlap[] {
    return this.rivals().overlaps.filter((o) => o.policy === name);
  }

  /** What each policy's overlaps say now, to tell afterwards whose a change altered. */
  overlapSignature(): ReadonlyMap<string, string> {
    const signature = new Map<string, string>();
    for (const name of this.names()) signature.set(name, JSON.stringify(this.overlapsOf(name)));
    return signature;
  }

  /** Policies whose overlaps differ from `before`: another policy came, went or changed its claims. */
  overlapsChangedSince(before: ReadonlyMap<string, string>): string[] {
    return this.names().filter((name) => before.get(name) !== JSON.stringify(this.overlapsOf(name)));
  }

  private rivals(): ReturnType<typeof rivalsAmong> {
    return (this.rivalry ??= rivalsAmong(this.valid()));
  }

  get(name: string): RegisteredPolicy | undefined {
    return this.policies.get(name);
  }

  names(): string[] {
    return [...this.policies.keys()];
  }

  /** Valid policies, by name. */
  valid(): Policy[] {
    const valid: Policy[] = [];
    for (const { parsed } of this.policies.values()) if (parsed.ok) valid.push(parsed.policy);
    return valid.sort((a, b) => compareText(a.name, b.name));
  }

  /**
   * One all-namespaces informer per owner kind any valid policy names, plus the built-in kinds:
   * a kind costs one list+watch however many policies or namespaces name it. Each keeps of its
   * owners the metadata and the fields the policies' key rules read, and what `alsoKeep` asks for
   * the kind (the summary writer's spec and status of the built-in kinds).
   */
  informerTargets(alsoKeep: (target: InformerTarget) => readonly FieldPath[] = () => []): InformerTarget[] {
    const fields = new Map<string, { target: InformerTarget; paths: FieldPath[] }>();
    const add = (apiVersion: string, kind: string, paths: readonly FieldPath[]) => {
      const key = `${apiVersion}|${kind}`;
      let entry = fields.get(key);
      if (!entry)
        fields.set(key, (entry = { target: { apiVersion, kind }, paths: [...alsoKeep({ apiVersion, kind })] }));
      entry.paths.push(...paths);
    };
    for (const target of BUILT_IN_OWNER_KINDS) add(target.apiVersion, target.kind, []);
    for (const policy of this.valid())
      for (const owner of policy.owners) add(owner.apiVersion, owner.kind, fieldsReadBy(owner.key));
    return [...fields.values()].map(({ target, paths }) => ({ ...target, projection: projectionOf(paths) }));
  }

  /** Valid policies that name this kind and select this namespace, by name. */
  managing(apiVersion: string, kind: string, namespace: string | undefined): ManagingPolicy[] {
    const result: ManagingPolicy[] = [];
    for (const policy of this.valid()) {
      const ownerKind = policy.owners.find(
        (o) => o.apiVersion === apiVersion && o.kind === kind && namespaceSelected(o, namespace),
      );
      if (ownerKind) result.push({ policy: this.scoped(policy), ownerKind });
    }
    return result;
  }
}

/**
 * Whether any policy may want this owner's finalizer: a valid one with `teardown: Finalizer` that
 * manages it, or an invalid one that says Finalizer for the kind (a typo elsewhere in a policy must
 * not drop the finalizers that protect teardowns).
 */
export function mayTearDown(registry: PolicyRegistry, apiVersion: string, kind: string, namespace?: string): boolean {
  if (registry.managing(apiVersion, kind, namespace).some((m) => m.policy.teardown === 'Finalizer')) return true;
  return registry.names().some((name) => {
    const entry = registry.get(name)!;
    if (entry.parsed.ok) return false;
    const spec = entry.object.spec as { teardown?: unknown; owners?: { apiVersion?: unknown; kind?: unknown }[] };
    const owners = Array.isArray(spec?.owners) ? spec.owners : [];
    return spec?.teardown === 'Finalizer' && owners.some((o) => o?.apiVersion === apiVersion && o?.kind === kind);
  });
}

/** The informer target that serves an owner kind of a policy. */
export function targetOf(owner: Pick<OwnerKind, 'apiVersion' | 'kind'>): InformerTarget {
  return { apiVersion: owner.apiVersion, kind: owner.kind };
}

function approvalOf(object: ReapPolicy): string | undefined {
  return object.metadata.annotations?.[APPROVE_SWEEP_ANNOTATION];
}
