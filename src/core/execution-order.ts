// The order a sweep works in (design §3.6): containers, their leases, networks, volumes; within a
// kind the oldest first, ties broken by id so the order never depends on how the runtime listed.
import type { ResourceKind, RuntimeResource } from './model.js';
import { RESOURCE_KINDS } from './model.js';

/** Creation time for ordering: an unknown time sorts as the newest, which goes last. */
function sortableTime(createdAt: number): number {
  return Number.isFinite(createdAt) ? createdAt : Number.POSITIVE_INFINITY;
}

export function compareByAge(a: RuntimeResource, b: RuntimeResource): number {
  const x = sortableTime(a.createdAt);
  const y = sortableTime(b.createdAt);
  if (x !== y) return x < y ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A sorted copy: grouped by kind in execution order, oldest first within each kind. */
export function sortForExecution<T extends RuntimeResource>(resources: readonly T[]): T[] {
  const byKind = new Map<ResourceKind, T[]>(RESOURCE_KINDS.map((kind) => [kind, []]));
  // A kind this code does not know (a newer backend) goes last rather than out of the plan.
  const unknown: T[] = [];
  for (const resource of resources) (byKind.get(resource.kind) ?? unknown).push(resource);
  return [...RESOURCE_KINDS.flatMap((kind) => byKind.get(kind)!.sort(compareByAge)), ...unknown.sort(compareByAge)];
}
