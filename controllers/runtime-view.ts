// The runtime as the owner controllers see it: the latest snapshot per policy (a sweep's own, or
// one taken on demand when none is recent), so thousands of owner status updates cost one Docker
// listing, not thousands.
import type Docker from 'dockerode';
import type { RuntimeSnapshot } from '../src/core/model.js';
import type { Policy } from '../src/core/policy.js';
import { takeSnapshot } from '../src/runtime/backend.js';
import { backendsForPolicy } from '../src/runtime/backends-for-policy.js';

interface Entry {
  readonly snapshot: RuntimeSnapshot;
  readonly generation: number;
}

export class RuntimeView {
  private readonly latest = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<RuntimeSnapshot>>();

  constructor(
    private readonly docker: Docker,
    private readonly now: () => number,
    private readonly maxAgeMs = 30_000,
  ) {}

  /** Records a snapshot a sweep of `policy` took. */
  remember(policy: Policy, snapshot: RuntimeSnapshot): void {
    const entry = this.latest.get(policy.name);
    // A listing that ends after a newer one was remembered (a sweep's, meanwhile) does not replace it.
    if (entry && entry.generation === policy.generation && entry.snapshot.takenAt > snapshot.takenAt) return;
    this.latest.set(policy.name, { snapshot, generation: policy.generation });
  }

  forget(policyName: string): void {
    this.latest.delete(policyName);
  }

  /** A snapshot no older than maxAgeMs, for this generation of the policy (its backends may differ). */
  async snapshotFor(policy: Policy): Promise<RuntimeSnapshot> {
    const entry = this.latest.get(policy.name);
    if (entry && entry.generation === policy.generation && this.now() - entry.snapshot.takenAt <= this.maxAgeMs) {
      return entry.snapshot;
    }
    const key = `${policy.name}|${policy.generation}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = takeSnapshot(backendsForPolicy(policy, this.docker), this.now).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
      this.remember(policy, await pending);
    }
    return pending;
  }
}
