// Grace bookkeeping (design §3.3): the caller keeps, between sweeps, when each resource was first
// seen orphaned. The state comes back from memory or a state file, so it is read defensively: an
// entry that is not a usable time restarts the grace period instead of skipping it.
import type { GraceState } from './model.js';

/** When the resource was first seen orphaned: the recorded time if usable, else `now` (first sight). */
export function firstSeenOrphaned(state: GraceState, key: string, now: number): number {
  // Keys are `<kind>:<id>`, never a prototype property name; the type check covers the rest.
  const recorded: unknown = state[key];
  // A time in the future (a clock that went back, an edited file) would shorten nothing if kept,
  // but it is not a time this resource was seen: start over.
  return typeof recorded === 'number' && Number.isFinite(recorded) && recorded <= now ? recorded : now;
}

/** True once the resource has been seen orphaned continuously for the whole grace period. */
export function graceElapsed(firstSeen: number, now: number, gracePeriodMs: number): boolean {
  return now - firstSeen >= gracePeriodMs;
}
