// The owner objects the deployer understands: Topology and Sandbox as in crds/, read loosely
// because the deployer is an example platform, not the validator of the API.
import { ownerContractLabels } from '../../src/core/owner-scope.js';

export interface OwnerObject {
  apiVersion: string;
  kind: 'Topology' | 'Sandbox';
  metadata: { name: string; namespace?: string; uid?: string };
  spec: TopologySpec | SandboxSpec;
}

export interface TopologySpec {
  networks: { name: string; subnet?: string }[];
  nodes: { name: string; image?: string; networks?: string[] }[];
}

export interface SandboxSpec {
  image?: string;
  command?: string[];
  network?: string;
  ports?: unknown[];
}

export function isOwnerObject(value: unknown): value is OwnerObject {
  const v = value as Partial<OwnerObject> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    (v.kind === 'Topology' || v.kind === 'Sandbox') &&
    typeof v.metadata?.name === 'string' &&
    typeof v.spec === 'object'
  );
}

/**
 * The labels of the ownership contract (docs/design.md §1) that a deployer writes on everything it
 * creates: reaper.dev/owner-uid (the key the policies match), reaper.dev/owner-kind (the owner's
 * group-qualified kind, e.g. Topology.reaper.dev), reaper.dev/owner-namespace (absent for a
 * cluster-scoped owner) and reaper.dev/owner-name. A policy judges a resource only when these place
 * its owner among the kinds and namespaces the policy sees; without them it is out of scope.
 */
export function ownerLabels(owner: OwnerObject): Record<string, string> {
  const { name, namespace, uid } = owner.metadata;
  if (!uid) {
    throw new Error(`${owner.kind} ${name} has no metadata.uid: owners get one from the API server`);
  }
  return ownerContractLabels({ apiVersion: owner.apiVersion, kind: owner.kind, namespace, name, uid });
}
