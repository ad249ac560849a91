// The order a sweep works in (design §3.6): containers, their leases, networks, volumes; within a
// kind the oldest first, ties broken by id so the order never depends on how the runtime listed.
import type { ResourceKind, RuntimeResource } from './model.js';
import { RESOURCE_KINDS } from './model.js';
import { orderByKey, orderByNumber } from './radix-order.js';
import { compareText } from './text-order.js';

/** Creation time for ordering: an unknown time sorts as the newest, which goes last. */
function sortableTime(createdAt: number): number {
  return Number.isFinite(createdAt) ? createdAt : Number.POSITIVE_INFINITY;
}

export function compareByAge(a: RuntimeResource, b: RuntimeResource): number {
  const x = sortableTime(a.createdAt);
  const y = sortableTime(b.createdAt);
  if (x !== y) return x < y ? -1 : 1;
  return compareText(a.id, b.id);
}

const UNKNOWN_KIND_RANK = RESOURCE_KINDS.length;

/**
 * The kind's place in RESOURCE_KINDS; a kind this code does not know (a newer backend) goes last
 * rather than out of the plan. A switch, not a map: a map lookup per resource costs the sort as
 * much as reading the resource.
 */
function kindRank(kind: string): number {
  switch (kind) {
    case 'container':
      return 0;
    case 'ipLease':
      return 1;
    case 'network':
      return 2;
    case 'volume':
      return 3;
    default:
      return UNKNOWN_KIND_RANK;
  }
}

/**
 * A sorted copy: grouped by kind in execution order, oldest first within each kind (compareByAge).
 * Linear: a radix sort by creation time, then a stable counting sort by kind; only resources of one
 * kind created at the very same time (few, if any) are then compared, by id.
 */
export function sortForExecution<T extends RuntimeResource>(resources: readonly T[]): T[] {
  return executionOrder(resources).sorted;
}

export interface ExecutionOrder<T> {
  /** The resources as sortForExecution sorts them. */
  readonly sorted: T[];
  /** Where the resources of a kind are in `sorted`: from start to before end. */
  readonly runOf: (kind: ResourceKind) => { readonly start: number; readonly end: number };
}

/** sortForExecution, and where each kind's run is: a kind's resources can be visited without the others. */
export function executionOrder<T extends RuntimeResource>(resources: readonly T[]): ExecutionOrder<T> {
  const count = resources.length;
  const ranks = new Uint8Array(count);
  const times = new Float64Array(count);
  const kindStarts = new Uint32Array(UNKNOWN_KIND_RANK + 2);
  for (let index = 0; index < count; index++) {
    const resource = resources[index]!;
    const rank = kindRank(resource.kind);
    ranks[index] = rank;
    kindStarts[rank + 1]!++;
    // `|| 0`: -0 is the same time as 0.
    times[index] = sortableTime(resource.createdAt) || 0;
  }
  for (let rank = 1; rank < kindStarts.length; rank++) kindStarts[rank]! += kindStarts[rank - 1]!;
  const order = orderByKey(orderByNumber(times), ranks, UNKNOWN_KIND_RANK + 1);

  const sorted = new Array<T>(count);
  for (let position = 0; position < count; position++) sorted[position] = resources[order[position]!]!;
  for (let start = 0, end = 1; start < count; start = end, end = start + 1) {
    const first = order[start]!;
    while (end < count && ranks[order[end]!] === ranks[first] && times[order[end]!] === times[first]) end++;
    if (end - start > 1) sortRunById(sorted, start, end);
  }
  const runOf = (kind: ResourceKind) => {
    const rank = kindRank(kind);
    return { start: kindStarts[rank]!, end: kindStarts[rank + 1]! };
  };
  return { sorted, runOf };
}

/** Sorts sorted[start..end) by id in place; stable, so equal ids keep their listing order. */
function sortRunById(sorted: RuntimeResource[], start: number, end: number): void {
  const run = sorted.slice(start, end).sort((a, b) => compareText(a.id, b.id));
  for (let offset = 0; offset < run.length; offset++) sorted[start + offset] = run[offset]!;
}
