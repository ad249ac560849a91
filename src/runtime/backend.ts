// One small interface for every kind of runtime resource: list them all, remove one.
import type { RemovalResult } from './removal.js';
import type { ResourceKind, RuntimeResource, RuntimeSnapshot } from '../core/model.js';

export interface RuntimeBackend<R extends RuntimeResource = RuntimeResource> {
  readonly kind: ResourceKind;
  /** Every resource of this kind; throws when it cannot list completely. */
  list(): Promise<R[]>;
  /** Removes one resource. Never throws for the resource's own sake: failures are results. */
  remove(resource: R): Promise<RemovalResult>;
  /** Problems with individual entries met while listing (e.g. junk in a lease directory). */
  drainWarnings?(): string[];
}

export type Backends = Partial<Record<ResourceKind, RuntimeBackend>>;

/**
 * Lists every backend into one snapshot. A backend that fails marks the snapshot incomplete (the
 * planner then fails closed); it never throws.
 */
export async function takeSnapshot(backends: Backends, now: () => number): Promise<RuntimeSnapshot> {
  const takenAt = now();
  const listed = new Map<ResourceKind, { resources: RuntimeResource[]; error?: string; warnings: string[] }>();
  // Leases before containers: a lease is made for a container that exists, so every lease listed
  // names a container the later container listing holds (unless it is gone by then, truly dangling).
  // Listed the other way round, a container and its lease made in between would make the lease
  // look dangling.
  for (const kind of ['ipLease', 'container', 'network', 'volume'] as const) {
    const backend = backends[kind];
    if (!backend) continue;
    try {
      listed.set(kind, { resources: await backend.list(), warnings: backend.drainWarnings?.() ?? [] });
    } catch (err) {
      const error = `listing ${kind}s: ${(err as Error).message}`;
      listed.set(kind, { resources: [], error, warnings: backend.drainWarnings?.() ?? [] });
    }
  }
  const resources: RuntimeResource[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const kind of ['container', 'network', 'volume', 'ipLease'] as const) {
    const entry = listed.get(kind);
    if (!entry) continue;
    resources.push(...entry.resources);
    if (entry.error) errors.push(entry.error);
    warnings.push(...entry.warnings);
  }
  return { takenAt, resources, complete: errors.length === 0, errors, warnings };
}
