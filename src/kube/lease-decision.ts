// The leader-election rules of client-go, as pure functions over a Lease's spec. A lease held by
// someone else is trusted for its leaseDurationSeconds measured on OUR clock from when we last saw
// it change, so clocks of different machines never need to agree.
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: Date | string;
  renewTime?: Date | string;
  leaseTransitions?: number;
}

/** What a candidate last saw of the lease, and when (its own clock). */
export interface LeaseObservation {
  resourceVersion: string;
  holder: string;
  leaseDurationMs: number;
  observedAt: number;
}

export type LeaseVerdict = { kind: 'take'; renewing: boolean } | { kind: 'held'; holder: string; validUntil: number };

/** Updates the observation: the clock restarts only when the lease changed since last seen. */
export function observeLease(
  previous: LeaseObservation | undefined,
  resourceVersion: string,
  spec: LeaseSpec,
  now: number,
  defaultDurationMs: number,
): LeaseObservation {
  if (previous && previous.resourceVersion === resourceVersion) return previous;
  const seconds = spec.leaseDurationSeconds;
  return {
    resourceVersion,
    holder: spec.holderIdentity ?? '',
    leaseDurationMs: seconds !== undefined && seconds > 0 ? seconds * 1000 : defaultDurationMs,
    observedAt: now,
  };
}

/** Whether `identity` may write the lease now: it holds it, nobody does, or the holder's lease ran out. */
export function judgeLease(observation: LeaseObservation, identity: string, now: number): LeaseVerdict {
  if (observation.holder === identity) return { kind: 'take', renewing: true };
  const validUntil = observation.observedAt + observation.leaseDurationMs;
  if (observation.holder !== '' && validUntil > now) {
    return { kind: 'held', holder: observation.holder, validUntil };
  }
  return { kind: 'take', renewing: false };
}

/** The spec to write when taking or renewing the lease. */
export function leaseSpecFor(
  current: LeaseSpec | undefined,
  identity: string,
  now: Date,
  leaseDurationSeconds: number,
): LeaseSpec {
  const renewing = current?.holderIdentity === identity;
  const transitions = current?.leaseTransitions ?? 0;
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: renewing && current?.acquireTime ? current.acquireTime : now,
    renewTime: now,
    leaseTransitions: current === undefined ? 0 : renewing ? transitions : transitions + 1,
  };
}

/** The spec that gives the lease up at once: no holder, so the next candidate need not wait. */
export function releasedLeaseSpec(current: LeaseSpec, now: Date): LeaseSpec {
  return {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: current.leaseTransitions ?? 0,
  };
}
