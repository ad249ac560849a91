// The data the pure core works on: what the runtime holds, who owns what, and what a sweep decides.
// Backends (src/runtime) produce these; the planner and report builder consume them.
import type { ItemOutcome } from './outcome.js';
import { isRemoved } from './outcome.js';

export type ResourceKind = 'container' | 'network' | 'volume' | 'ipLease';

/** Execution order of a sweep: containers first, so their leases and networks are free to go. */
export const RESOURCE_KINDS: readonly ResourceKind[] = ['container', 'ipLease', 'network', 'volume'];

export type Labels = Readonly<Record<string, string>>;

interface ResourceBase {
  /** Stable identity within its kind: Docker id, volume name, or `<network>/<ip>` for a lease. */
  readonly id: string;
  /** Human name: container or network name, volume name, lease IP. */
  readonly name: string;
  readonly labels: Labels;
  /** Creation time in epoch milliseconds (file mtime for leases). */
  readonly createdAt: number;
}

export interface ContainerResource extends ResourceBase {
  readonly kind: 'container';
  /** Docker's state: created, running, paused, restarting, removing, exited, dead. */
  readonly state: string;
  /** Names of the networks the container is attached to. */
  readonly networks: readonly string[];
}

export interface NetworkResource extends ResourceBase {
  readonly kind: 'network';
  readonly driver: string;
  /** Ids of the containers attached to the network at snapshot time. */
  readonly containerIds: readonly string[];
}

export interface VolumeResource extends ResourceBase {
  readonly kind: 'volume';
  readonly driver: string;
}

export interface IpLeaseResource extends ResourceBase {
  readonly kind: 'ipLease';
  /** CNI network name: the lease store's subdirectory. */
  readonly network: string;
  readonly ip: string;
  /** The container id written in the lease file; leases are attributed through it. */
  readonly containerId: string;
  readonly ifname?: string;
}

export type RuntimeResource = ContainerResource | NetworkResource | VolumeResource | IpLeaseResource;

/**
 * Everything the runtime held at one instant. `complete` is false when any backend could not list
 * fully; the planner then fails closed.
 */
export interface RuntimeSnapshot {
  readonly takenAt: number;
  readonly resources: readonly RuntimeResource[];
  readonly complete: boolean;
  /** Why the snapshot is incomplete, one line per failed listing. */
  readonly errors: readonly string[];
  /** Entries passed over while listing (junk lease files, symlinks): reported, not fatal. */
  readonly warnings?: readonly string[];
}

/** One live owner as seen by an owner source. */
export interface OwnerRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly uid?: string;
  /** The key under the policy's key rule (uid, namespace/name or a field path's value). */
  readonly key: string;
}

/**
 * The owners alive when the snapshot was planned. `synced` false (a list failed, a watch is not
 * synced) makes the planner fail closed.
 */
export interface LiveOwners {
  readonly keys: ReadonlySet<string>;
  readonly synced: boolean;
  readonly errors: readonly string[];
}

/**
 * Grace bookkeeping the caller keeps between sweeps: per kind, resource id -> first time seen
 * orphaned (ms). Keyed by the resources' own ids, not by a `<kind>:<id>` string built per sweep: a
 * runtime view hands the same id strings over sweep after sweep, so a lookup finds its key by
 * identity, with its hash already computed (grace.ts converts from and to `<kind>:<id>` records).
 */
export type GraceState = ReadonlyMap<ResourceKind, ReadonlyMap<string, number>>;

/** Key of a resource in grace state and plans: `<kind>:<id>`. */
export function resourceKey(resource: Pick<RuntimeResource, 'kind' | 'id'>): string {
  return `${resource.kind}:${resource.id}`;
}

/**
 * The snapshot as it stands once a sweep's removals are done: what was removed (or found already
 * gone) is left out, everything else as listed. Counting from it says at once that an orphan's
 * resources are gone, instead of waiting for the next listing to say so.
 */
export function withoutRemoved(
  snapshot: RuntimeSnapshot,
  outcomes: readonly Pick<ItemOutcome, 'key' | 'status'>[],
): RuntimeSnapshot {
  const removed = new Set(outcomes.filter(isRemoved).map((o) => o.key));
  if (removed.size === 0) return snapshot;
  return { ...snapshot, resources: snapshot.resources.filter((resource) => !removed.has(resourceKey(resource))) };
}

export type Decision =
  | 'foreign' // no match rule attributes it: never touched
  | 'outOfScope' // a rule matched, but the key could name an owner this policy cannot see: never touched
  | 'protected' // keep label, predefined network, reaper itself, disabled kind
  | 'ownerLive'
  | 'tooYoung' // younger than minAge
  | 'inGrace' // orphaned, but not for gracePeriod yet
  | 'overLimit' // selected, but over maxDeletionsPerSweep: waits for the next sweep
  | 'blocked' // the blast-radius guard stopped the whole sweep
  | 'failedClosed' // owners or runtime not fully visible: nothing is reaped
  | 'selected';

/** Every decision, in the order planReap considers them. */
export const DECISIONS: readonly Decision[] = [
  'foreign',
  'outOfScope',
  'protected',
  'failedClosed',
  'ownerLive',
  'tooYoung',
  'inGrace',
  'blocked',
  'overLimit',
  'selected',
];

export interface PlannedItem {
  readonly resource: RuntimeResource;
  readonly decision: Decision;
  /** Human-readable why, e.g. "owner key 1b2c… not live for 5m". */
  readonly reason: string;
  /** The owner key a match rule extracted; absent for foreign resources. */
  readonly ownerKey?: string;
}
