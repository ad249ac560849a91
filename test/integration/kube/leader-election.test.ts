// Two candidates on one Lease of the real API server: exactly one leads; stopping the leader
// releases the lease and the other takes over at its next retry, well before the lease would have
// expired; a candidate that vanishes without releasing is replaced only after leaseDuration; a
// leader that finds the lease taken from it stops leading.
import * as k8s from '@kubernetes/client-node';
import type { LeaderElectionConfig } from '../../../src/kube/leader-election.js';
import { LeaderElector } from '../../../src/kube/leader-election.js';
import { kubeConfig, uniqueName } from '../../support/engines.js';
import { createNamespace, deleteNamespace } from '../../support/kube-access.js';
import { eventually } from '../../support/eventually.js';

interface Candidate {
  identity: string;
  elector: LeaderElector;
  log: string[];
  leadershipSignal?: AbortSignal;
  running: Promise<void>;
}

describe('LeaderElector on a real Lease', () => {
  const kc = kubeConfig();
  const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
  const namespace = uniqueName('election');
  const candidates: Candidate[] = [];
  // Short timings so the test runs in seconds; the ratios are client-go's (15s/10s/2s).
  const timing = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 400 };

  beforeAll(() => createNamespace(kc, namespace));
  afterAll(async () => {
    await Promise.all(candidates.map((c) => c.elector.stop()));
    await deleteNamespace(kc, namespace);
  });

  function candidate(identity: string, leaseName: string, extra: Partial<LeaderElectionConfig> = {}): Candidate {
    const log: string[] = [];
    const c: Candidate = { identity, log, elector: undefined as never, running: Promise.resolve() };
    c.elector = new LeaderElector(
      kc,
      { namespace, leaseName, identity, ...timing, ...extra },
      {
        onStartedLeading: (signal) => {
          c.leadershipSignal = signal;
          log.push('started');
        },
        onStoppedLeading: () => log.push('stopped'),
        onNewLeader: (holder) => log.push(`leader:${holder}`),
      },
    );
    c.running = c.elector.run();
    candidates.push(c);
    return c;
  }

  const readLease = (name: string) => coordination.readNamespacedLease({ name, namespace });

  test('one leads; release on stop hands over before the lease would expire', async () => {
    const a = candidate('a', 'handover');
    const b = candidate('b', 'handover');
    const leader = await eventually('a leader', () => [a, b].find((c) => c.elector.isLeader));
    const follower = leader === a ? b : a;

    // Several renewals later, still exactly one leader, and the follower knows who it is.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(leader.elector.isLeader).toBe(true);
    expect(follower.elector.isLeader).toBe(false);
    expect(follower.elector.observedLeader).toBe(leader.identity);
    const before = await readLease('handover');
    expect(before.spec?.holderIdentity).toBe(leader.identity);
    expect(before.spec?.leaseDurationSeconds).toBe(3);

    const stoppedAt = Date.now();
    await leader.elector.stop();
    await leader.running;
    expect(leader.log).toEqual([`leader:${leader.identity}`, 'started', 'stopped']);
    expect(leader.leadershipSignal?.aborted).toBe(true);

    await eventually('the follower to lead', () => follower.elector.isLeader, 10_000);
    expect(Date.now() - stoppedAt).toBeLessThan(timing.leaseDurationMs);
    const after = await readLease('handover');
    expect(after.spec?.holderIdentity).toBe(follower.identity);
    expect(after.spec?.leaseTransitions).toBe((before.spec?.leaseTransitions ?? 0) + 1);
    expect(follower.log).toEqual(expect.arrayContaining(['started']));
  });

  test('a leader that vanishes without releasing is replaced only once its lease expires', async () => {
    const a = candidate('a', 'expiry', { releaseOnStop: false });
    await eventually('a to lead', () => a.elector.isLeader);
    const b = candidate('b', 'expiry');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(b.elector.isLeader).toBe(false);

    const vanishedAt = Date.now();
    await a.elector.stop();
    expect((await readLease('expiry')).spec?.holderIdentity).toBe('a');
    await eventually('b to take over', () => b.elector.isLeader, 15_000);
    expect(Date.now() - vanishedAt).toBeGreaterThanOrEqual(timing.leaseDurationMs - 1_000);
  });

  test('a leader that finds the lease taken from it stops leading', async () => {
    const a = candidate('a', 'stolen');
    await eventually('a to lead', () => a.elector.isLeader);
    const lease = await readLease('stolen');
    await coordination.replaceNamespacedLease({
      name: 'stolen',
      namespace,
      body: {
        ...lease,
        spec: { ...lease.spec, holderIdentity: 'intruder', renewTime: new k8s.V1MicroTime(Date.now()) },
      },
    });
    await eventually('a to notice', () => a.log.includes('stopped'), 10_000);
    expect(a.elector.isLeader).toBe(false);
    expect(a.leadershipSignal?.aborted).toBe(true);
    expect(a.log).toContain('leader:intruder');
    await a.running;
  });
});
