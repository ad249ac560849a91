// Grace bookkeeping (design §3.3): the caller keeps, between sweeps, when each resource was first
// seen orphaned. The state comes back from memory or a state file, so it is read defensively: an
// entry that is not a usable time restarts the grace period instead of skipping it.
import type { GraceState, ResourceKind, RuntimeResource } from './model.js';
import { RESOURCE_KINDS, resourceKey } from './model.js';

/** When the resource was first seen orphaned: the recorded time if usable, else `now` (first sight). */
export function firstSeenOrphaned(
  state: GraceState,
  resource: Pick<RuntimeResource, 'kind' | 'id'>,
  now: number,
): number {
  const recorded: unknown = state.get(resource.kind)?.get(resource.id);
  // A time in the future (a clock that went back, an edited file) would shorten nothing if kept,
  // but it is not a time this resource was seen: start over.
  return typeof recorded === 'number' && Number.isFinite(recorded) && recorded <= now ? recorded : now;
}

/** No resource seen orphaned yet. */
export const NO_GRACE: GraceState = new Map();

/** Grace state being filled in by a sweep, a map per kind made on the kind's first entry. */
export class GraceStateBuilder {
  private readonly byKind = new Map<ResourceKind, Map<string, number>>();

  set(resource: Pick<RuntimeResource, 'kind' | 'id'>, firstSeen: number): void {
    let ofKind = this.byKind.get(resource.kind);
    if (ofKind === undefined) this.byKind.set(resource.kind, (ofKind = new Map()));
    ofKind.set(resource.id, firstSeen);
  }

  get state(): GraceState {
    return this.byKind;
  }
}

const KNOWN_KINDS: ReadonlySet<string> = new Set(RESOURCE_KINDS);

/**
 * Grace state from `<kind>:<id>` keys (a state file, a test). An entry whose key names no resource
 * kind, or whose time is not a number, could never match a resource: it is left out.
 */
export function graceStateFromRecord(record: Readonly<Record<string, unknown>>): GraceState {
  const builder = new GraceStateBuilder();
  for (const [key, time] of Object.entries(record)) {
    const colon = key.indexOf(':');
    if (colon < 0 || typeof time !== 'number') continue;
    const kind = key.slice(0, colon);
    if (KNOWN_KINDS.has(kind)) builder.set({ kind: kind as ResourceKind, id: key.slice(colon + 1) }, time);
  }
  return builder.state;
}

/** The same entries keyed `<kind>:<id>`, in the order of RESOURCE_KINDS. */
export function graceStateToRecord(state: GraceState): Record<string, number> {
  const record: Record<string, number> = {};
  for (const kind of RESOURCE_KINDS)
    for (const [id, time] of state.get(kind) ?? []) record[resourceKey({ kind, id })] = time;
  return record;
}

/** True once the resource has been seen orphaned continuously for the whole grace period. */
export function graceElapsed(firstSeen: number, now: number, gracePeriodMs: number): boolean {
  return now - firstSeen >= gracePeriodMs;
}
