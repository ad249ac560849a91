// The owner objects the deployer understands: Topology and Sandbox as in crds/, read loosely
// because the deployer is an example platform, not the validator of the API.
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

/** The labels of the ownership contract (design §1) that a deployer writes on everything it creates. */
export function ownerLabels(owner: OwnerObject): Record<string, string> {
  if (!owner.metadata.uid) {
    throw new Error(`${owner.kind} ${owner.metadata.name} has no metadata.uid: owners get one from the API server`);
  }
  return {
    'reaper.dev/owner-uid': owner.metadata.uid,
    'reaper.dev/owner-kind': owner.kind,
    'reaper.dev/owner-namespace': owner.metadata.namespace ?? 'default',
    'reaper.dev/owner-name': owner.metadata.name,
  };
}
