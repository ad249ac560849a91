// The runtime as the owner controllers see it: the latest snapshot per policy (a sweep's own, or
// one taken on demand when none is recent), so thousands of owner status updates cost one Docker
// listing, not thousands. Every snapshot it adopts is announced, with the one it replaces, so owner
// status can follow what changed instead of recomputing every owner on a timer.
import type { RuntimeSnapshot } from '../src/core/model.js';
import type { Policy } from '../src/core/policy.js';
import { takeSnapshot } from '../src/runtime/backend.js';
import type { RuntimeEngine } from '../src/runtime/engine.js';

interface Entry {
  readonly snapshot: RuntimeSnapshot;
  readonly generation: number;
}

/** A newer snapshot for `policy`; `previous` is the one it replaces, if of the same policy generation. */
export type SnapshotListener = (policy: Policy, next: RuntimeSnapshot, previous: RuntimeSnapshot | undefined) => void;

export class RuntimeView {
  private readonly latest = new Map<string, Entry>();
  private readonly inFlight = new Map<string, { listing: Promise<RuntimeSnapshot>; startedAt: number }>();

  constructor(
    private readonly engine: RuntimeEngine,
    private readonly now: () => number,
    private readonly maxAgeMs = 30_000,
    private readonly onSnapshot?: SnapshotListener,
  ) {}

  /** Records a snapshot a sweep of `policy` took. */
  remember(policy: Policy, snapshot: RuntimeSnapshot): void {
    const entry = this.latest.get(policy.name);
    // A listing that ends after a newer one was remembered (a sweep's, meanwhile) does not replace it.
    const sameGeneration = entry !== undefined && entry.generation === policy.generation;
    if (sameGeneration && (entry.snapshot === snapshot || entry.snapshot.takenAt > snapshot.takenAt)) return;
    this.latest.set(policy.name, { snapshot, generation: policy.generation });
    this.onSnapshot?.(policy, snapshot, sameGeneration ? entry.snapshot : undefined);
  }

  forget(policyName: string): void {
    this.latest.delete(policyName);
  }

  /** A snapshot no older than maxAgeMs, for this generation of the policy (its backends may differ). */
  snapshotFor(policy: Policy): Promise<RuntimeSnapshot> {
    return this.snapshotSince(policy, this.now() - this.maxAgeMs);
  }

  /**
   * A snapshot for this generation of the policy taken at `at` or later: the one it has, one being
   * taken that started by then, or a new listing.
   */
  async snapshotSince(policy: Policy, at: number): Promise<RuntimeSnapshot> {
    const entry = this.latest.get(policy.name);
    if (entry && entry.generation === policy.generation && entry.snapshot.takenAt >= at) return entry.snapshot;
    const key = `${policy.name}|${policy.generation}`;
    const running = this.inFlight.get(key);
    if (running && running.startedAt >= at) return running.listing;
    const startedAt = this.now();
    const listing = takeSnapshot(this.engine.backendsFor(policy), this.now);
    this.inFlight.set(key, { listing, startedAt });
    try {
      const snapshot = await listing;
      this.remember(policy, snapshot);
      return snapshot;
    } finally {
      if (this.inFlight.get(key)?.listing === listing) this.inFlight.delete(key);
    }
  }
}
