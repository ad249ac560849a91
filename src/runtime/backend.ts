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
  /**
   * For a backend that reads a view following the engine rather than listing it (docker-view.ts):
   * looks these ids up in the engine itself where the view does not hold them yet, and resolves with
   * those that exist. A listing made after the lease store was read needs none.
   */
  lookUp?(ids: Iterable<string>): Promise<R[]>;
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
      const resources = await backend.list();
      if (kind === 'container' && backend.lookUp)
        resources.push(...(await missingContainers(backend, resources, listed)));
      listed.set(kind, { resources, warnings: backend.drainWarnings?.() ?? [] });
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

/**
 * The containers the leases name that a followed view did not give: a container made just before
 * its lease may not have reached the view yet, and a lease must never look dangling for that.
 */
async function missingContainers(
  backend: RuntimeBackend,
  containers: readonly RuntimeResource[],
  listed: ReadonlyMap<ResourceKind, { resources: RuntimeResource[] }>,
): Promise<RuntimeResource[]> {
  const held = new Set(containers.map((c) => c.id));
  const named = new Set<string>();
  for (const lease of listed.get('ipLease')?.resources ?? []) {
    if (lease.kind === 'ipLease' && lease.containerId && !held.has(lease.containerId)) named.add(lease.containerId);
  }
  if (named.size === 0 || !backend.lookUp) return [];
  return (await backend.lookUp(named)).filter((c) => !held.has(c.id));
}
