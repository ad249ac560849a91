// Status conditions by the Kubernetes API conventions: one entry per type, lastTransitionTime moves
// only when status changes, every condition carries the generation it was computed for, and the
// order is stable (existing types keep their place, new ones are appended) so an unchanged status
// serializes the same and is not written again. Pure: the clock is passed in.
import { isDeepStrictEqual } from 'node:util';
import type { Condition } from '../api/types.js';
import { compareText } from '../core/text-order.js';

export type { Condition };
export type ConditionStatus = Condition['status'];

export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** Returns the conditions with `update` set; the input is not modified. */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  observedGeneration: number | undefined,
  now: Date,
): Condition[] {
  const current = conditions ?? [];
  const index = current.findIndex((c) => c.type === update.type);
  const previous = index >= 0 ? current[index] : undefined;
  const next: Condition = {
    type: update.type,
    status: update.status,
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
    lastTransitionTime: previous && previous.status === update.status ? previous.lastTransitionTime : formatTime(now),
    reason: update.reason,
    message: update.message,
  };
  if (index < 0) return [...current, next];
  return current.map((c, i) => (i === index ? next : c));
}

/** Sets several conditions at once, in the order given. */
export function setConditions(
  conditions: readonly Condition[] | undefined,
  updates: readonly ConditionUpdate[],
  observedGeneration: number | undefined,
  now: Date,
): Condition[] {
  return updates.reduce<Condition[]>(
    (acc, update) => setCondition(acc, update, observedGeneration, now),
    [...(conditions ?? [])],
  );
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Whether a status the controller computed differs from the one the object has, so status is written
 * only when something changed. Fields left undefined count as absent, as they do once serialized;
 * conditions compare regardless of order.
 */
export function statusChanged(current: unknown, desired: unknown): boolean {
  return !isDeepStrictEqual(canonical(current), canonical(desired));
}

/** RFC 3339 with seconds, the precision metav1.Time keeps. */
export function formatTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function normalize(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function canonical(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  const plain = normalize(value);
  // An empty status and no status say the same.
  if (typeof plain === 'object' && plain !== null && Object.keys(plain).length === 0) return undefined;
  return sortConditionLists(plain);
}

function sortConditionLists(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortConditionLists);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).map(([key, inner]) => {
    const sorted = sortConditionLists(inner);
    if (key === 'conditions' && Array.isArray(sorted)) {
      return [key, [...sorted].sort((x, y) => compareText(typeOf(x), typeOf(y)))];
    }
    return [key, sorted];
  });
  return Object.fromEntries(entries);
}

function typeOf(condition: unknown): string {
  return String((condition as { type?: unknown } | null)?.type ?? '');
}
