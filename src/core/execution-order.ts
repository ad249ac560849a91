// The order a sweep works in (design §3.6): containers, their leases, networks, volumes; within a
// kind the oldest first, ties broken by id so the order never depends on how the runtime listed.
import type { RuntimeResource } from './model.js';
import { RESOURCE_KINDS } from './model.js';

/** Creation time for ordering: an unknown time sorts as the newest, which goes last. */
function sortableTime(createdAt: number): number {
  return Number.isFinite(createdAt) ? createdAt : Number.POSITIVE_INFINITY;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareByAge(a: RuntimeResource, b: RuntimeResource): number {
  const x = sortableTime(a.createdAt);
  const y = sortableTime(b.createdAt);
  if (x !== y) return x < y ? -1 : 1;
  return compareIds(a.id, b.id);
}

/** A kind this code does not know (a newer backend) goes last rather than out of the plan. */
const KIND_RANK: ReadonlyMap<string, number> = new Map(RESOURCE_KINDS.map((kind, rank) => [kind, rank]));
const UNKNOWN_KIND_RANK = RESOURCE_KINDS.length;

/**
 * A sorted copy: grouped by kind in execution order, oldest first within each kind (compareByAge).
 * The sort keys are read once into flat arrays, so each of the n log n comparisons is two number
 * reads rather than property reads on resources of four shapes.
 */
export function sortForExecution<T extends RuntimeResource>(resources: readonly T[]): T[] {
  const count = resources.length;
  const ranks = new Uint8Array(count);
  const times = new Float64Array(count);
  const order = new Array<number>(count);
  for (let index = 0; index < count; index++) {
    const resource = resources[index]!;
    ranks[index] = KIND_RANK.get(resource.kind) ?? UNKNOWN_KIND_RANK;
    times[index] = sortableTime(resource.createdAt);
    order[index] = index;
  }
  // Equal times (including two unknown ones, where Infinity - Infinity is NaN) fall through to ids.
  order.sort(
    (a, b) => ranks[a]! - ranks[b]! || times[a]! - times[b]! || compareIds(resources[a]!.id, resources[b]!.id),
  );
  return order.map((index) => resources[index]!);
}
