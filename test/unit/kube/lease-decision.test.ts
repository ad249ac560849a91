import type { LeaseObservation } from '../../../src/kube/lease-decision.js';
import { judgeLease, leaseSpecFor, observeLease, releasedLeaseSpec } from '../../../src/kube/lease-decision.js';

const t0 = 1_000_000;

describe('observeLease', () => {
  test('the clock starts when the lease is first seen and restarts only when it changes', () => {
    const first = observeLease(undefined, '10', { holderIdentity: 'a', leaseDurationSeconds: 15 }, t0, 5_000);
    expect(first).toEqual({ resourceVersion: '10', holder: 'a', leaseDurationMs: 15_000, observedAt: t0 });
    expect(observeLease(first, '10', { holderIdentity: 'a' }, t0 + 9_000, 5_000)).toBe(first);
    expect(observeLease(first, '11', { holderIdentity: 'a' }, t0 + 9_000, 5_000)).toMatchObject({
      observedAt: t0 + 9_000,
      leaseDurationMs: 5_000,
    });
  });
});

describe('judgeLease', () => {
  const seen = (holder: string): LeaseObservation => ({
    resourceVersion: '1',
    holder,
    leaseDurationMs: 15_000,
    observedAt: t0,
  });

  test.each<[string, LeaseObservation, number, ReturnType<typeof judgeLease>]>([
    ['our own lease is renewed', seen('me'), t0 + 60_000, { kind: 'take', renewing: true }],
    ['a free lease is taken', seen(''), t0, { kind: 'take', renewing: false }],
    [
      'a lease held by another is respected',
      seen('other'),
      t0 + 14_999,
      { kind: 'held', holder: 'other', validUntil: t0 + 15_000 },
    ],
    ['an expired lease is taken', seen('other'), t0 + 15_000, { kind: 'take', renewing: false }],
  ])('%s', (_name, observation, now, verdict) => {
    expect(judgeLease(observation, 'me', now)).toEqual(verdict);
  });
});

describe('lease specs', () => {
  const now = new Date(t0);
  const earlier = new Date(t0 - 60_000);

  test('a new lease starts with no transitions', () => {
    expect(leaseSpecFor(undefined, 'me', now, 15)).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    });
  });

  test('renewing keeps acquireTime and transitions', () => {
    const current = { holderIdentity: 'me', acquireTime: earlier, renewTime: earlier, leaseTransitions: 3 };
    expect(leaseSpecFor(current, 'me', now, 15)).toMatchObject({
      acquireTime: earlier,
      renewTime: now,
      leaseTransitions: 3,
    });
  });

  test('taking over counts a transition', () => {
    const current = { holderIdentity: 'other', acquireTime: earlier, renewTime: earlier, leaseTransitions: 3 };
    expect(leaseSpecFor(current, 'me', now, 15)).toMatchObject({
      holderIdentity: 'me',
      acquireTime: now,
      leaseTransitions: 4,
    });
  });

  test('a released lease has no holder and keeps its transitions', () => {
    expect(releasedLeaseSpec({ holderIdentity: 'me', leaseTransitions: 4 }, now)).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 4,
    });
  });
});
