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
  const resources: RuntimeResource[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  // Containers first: a lease or network listed later can only refer to a container listed before.
  for (const kind of ['container', 'network', 'volume', 'ipLease'] as const) {
    const backend = backends[kind];
    if (!backend) continue;
    try {
      resources.push(...(await backend.list()));
    } catch (err) {
      errors.push(`listing ${kind}s: ${(err as Error).message}`);
    }
    warnings.push(...(backend.drainWarnings?.() ?? []));
  }
  return { takenAt, resources, complete: errors.length === 0, errors, warnings };
}
