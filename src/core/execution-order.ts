// The order a sweep works in (design §3.6): containers, their leases, networks, volumes; within a
// kind the oldest first, ties broken by id so the order never depends on how the runtime listed.
import type { RuntimeResource } from './model.js';
import { RESOURCE_KINDS } from './model.js';
import { orderByKey, orderByNumber } from './radix-order.js';

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
 * Linear: a radix sort by creation time, then a stable counting sort by kind; only resources of one
 * kind created at the very same time (few, if any) are then compared, by id.
 */
export function sortForExecution<T extends RuntimeResource>(resources: readonly T[]): T[] {
  const count = resources.length;
  const ranks = new Uint8Array(count);
  const times = new Float64Array(count);
  for (let index = 0; index < count; index++) {
    const resource = resources[index]!;
    ranks[index] = KIND_RANK.get(resource.kind) ?? UNKNOWN_KIND_RANK;
    // `|| 0`: -0 is the same time as 0.
    times[index] = sortableTime(resource.createdAt) || 0;
  }
  const order = orderByKey(orderByNumber(times), ranks, UNKNOWN_KIND_RANK + 1);

  const sorted = new Array<T>(count);
  for (let position = 0; position < count; position++) sorted[position] = resources[order[position]!]!;
  for (let start = 0, end = 1; start < count; start = end, end = start + 1) {
    const first = order[start]!;
    while (end < count && ranks[order[end]!] === ranks[first] && times[order[end]!] === times[first]) end++;
    if (end - start > 1) sortRunById(sorted, start, end);
  }
  return sorted;
}

/** Sorts sorted[start..end) by id in place; stable, so equal ids keep their listing order. */
function sortRunById(sorted: RuntimeResource[], start: number, end: number): void {
  const run = sorted.slice(start, end).sort((a, b) => compareIds(a.id, b.id));
  for (let offset = 0; offset < run.length; offset++) sorted[start + offset] = run[offset]!;
}
