// The policy controller's decisions, with its ports faked in-process (test/support/reconciler-fakes.ts)
// and the real sweep (planner, executor, report) in between. The same controller against real engines
// and an API server: test/integration/controllers (reap-on-delete, fleet-guard, operations).
import { OwnerDeletionLog } from '../../../controllers/owner-deletions.js';
import type { PolicyControllerOptions } from '../../../controllers/policy-controller.js';
import { PolicyController } from '../../../controllers/policy-controller.js';
import { PolicyRegistry } from '../../../controllers/policy-registry.js';
import type { SweepFacts } from '../../../src/status/policy-status.js';
import type { HeldWaveRecord } from '../../../src/api/types.js';
import type { RuntimeResource, RuntimeSnapshot } from '../../../src/core/model.js';
import type { Policy } from '../../../src/core/policy.js';
import type { InformerState } from '../../../src/kube/informer.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { failed } from '../../../src/runtime/removal.js';
import type { OwnerSource } from '../../../src/owners/source.js';
import {
  Calls,
  FakeOwnerCaches,
  FakeRuntime,
  RecordingEvents,
  labPolicySpec as spec,
  reapPolicy,
  SANDBOX,
  SYNCED,
  topology,
  TOPOLOGY,
} from '../../support/reconciler-fakes.js';
import { container, MINUTE, NOW } from '../../support/builders.js';

const INTERVAL_MS = 5 * MINUTE;

class FakeReporter {
  /** What the next load recalls from this node's report; NodeReporter recalls only on the first. */
  recall: HeldWaveRecord[] = [];
  readonly written: SweepFacts[] = [];

  constructor(private readonly calls: Calls) {}

  load(): Promise<HeldWaveRecord[]> {
    const recalled = this.recall;
    this.recall = [];
    return Promise.resolve(recalled);
  }

  afterSweep(_policy: Policy, facts: SweepFacts): Promise<void> {
    this.written.push(facts);
    this.calls.add(`report ${facts.report.outcome}`);
    return Promise.resolve();
  }

  forget(name: string): Promise<void> {
    this.calls.add(`report forget ${name}`);
    return Promise.resolve();
  }
}

interface SetUp {
  resources?: RuntimeResource[];
  /** Live Topologies by labId. */
  live?: string[];
  topologyState?: InformerState;
  /** The host's random draw; 0 takes nothing off an interval. */
  random?: number;
}

function setUp({ resources = [], live = [], topologyState = SYNCED, random = 0 }: SetUp = {}) {
  const calls = new Calls();
  let now = NOW;
  const clock = { advance: (ms: number) => (now += ms) };
  const registry = new PolicyRegistry();
  const owners = new FakeOwnerCaches().set(
    TOPOLOGY,
    live.map((labId) => topology(labId)),
    topologyState,
  );
  const runtime = new FakeRuntime(resources, calls);
  const events = new RecordingEvents(calls);
  const reporter = new FakeReporter(calls);
  const remembered: RuntimeSnapshot[] = [];
  const metrics = { sweeps: 0, forgotten: [] as string[] };
  const deletions = new OwnerDeletionLog(() => now);
  // The fresh re-check sees what the caches see: nothing is deleted or created during a sweep here.
  const freshOwners: OwnerSource = {
    list: () => Promise.resolve({ live: { keys: new Set(live), synced: true, errors: [] }, count: live.length }),
    recheck: () => Promise.resolve({ keys: new Set(live), synced: true, errors: [] }),
  };
  let runtimeStarting = false;
  const options: PolicyControllerOptions = {
    registry,
    informers: owners,
    engine: runtime,
    freshOwners,
    reporter,
    events,
    metrics: {
      setLiveOwners: () => {},
      recordSweep: () => void metrics.sweeps++,
      forgetPolicy: (name) => void metrics.forgotten.push(name),
    },
    runtime: {
      remember: (_policy, snapshot) => void remembered.push(snapshot),
      forget: (name) => calls.add(`runtime forget ${name}`),
    },
    deletions,
    host: { node: 'node-a', now: () => now, random: () => random },
    logger: silentLogger,
    runtimeStarting: () => runtimeStarting,
  };
  const controller = new PolicyController(options);
  return {
    controller,
    registry,
    owners,
    runtime,
    events,
    reporter,
    remembered,
    metrics,
    deletions,
    calls,
    clock,
    setRuntimeStarting: (starting: boolean) => (runtimeStarting = starting),
    /** Deletes these Topologies now, as the informer's delete handler tells the log. */
    deleteOwners: (labIds: string[]) => {
      const managing = registry.managing(TOPOLOGY.apiVersion, TOPOLOGY.kind, 'labs');
      for (const labId of labIds) deletions.ownerDeleted(topology(labId), managing);
    },
  };
}

const orphans = (labIds: string[]) => labIds.map((labId) => container(`c-${labId}`, labId));

describe('PolicyController.reconcile', () => {
  test('a policy gone from the registry: its state is forgotten and its report deleted; nothing is swept', async () => {
    const t = setUp({ resources: orphans(['gone']) });
    t.registry.upsert(reapPolicy('p', spec({ timing: { gracePeriod: '1m' } })));
    t.deleteOwners(['gone']);
    await t.controller.reconcile('p');
    t.registry.remove('p');
    t.calls.log.length = 0;

    await expect(t.controller.reconcile('p')).resolves.toBeUndefined();

    expect(t.calls.log).toEqual(['runtime forget p', 'report forget p']);
    expect(t.metrics.forgotten).toEqual(['p']);
    expect(t.deletions.recent('p')).toEqual([]);
    expect(t.runtime.sweeps).toBe(1);
    // Created again, it starts from nothing: the grace clock of its first life is gone.
    t.registry.upsert(reapPolicy('p', spec({ timing: { gracePeriod: '1m' } })));
    t.clock.advance(2 * MINUTE);
    await t.controller.reconcile('p');
    expect(t.runtime.removed).toEqual([]);
  });

  test('an invalid policy: an InvalidSpec warning naming the problem, no sweep, no requeue', async () => {
    const t = setUp({ resources: orphans(['gone']) });
    t.registry.upsert(reapPolicy('p', { ...spec(), mode: 'Everything' }));

    await expect(t.controller.reconcile('p')).resolves.toBeUndefined();

    expect(t.events.reasons()).toEqual(['Warning InvalidSpec']);
    expect(t.events.recorded[0]!.message).toContain('mode');
    expect(t.events.recorded[0]!.subject).toMatchObject({ kind: 'ReapPolicy', name: 'p', uid: 'uid-p' });
    expect(t.runtime.sweeps).toBe(0);
    expect(t.reporter.written).toEqual([]);
  });

  type Waiting = [what: string, starting: { topologyState?: InformerState; runtime?: boolean }];
  test.each<Waiting>([
    ['an owner informer has not listed yet', { topologyState: { synced: false, healthy: true } }],
    ['the runtime view has not listed yet', { runtime: true }],
  ])('%s: no sweep, looked at again in a second', async (_what, starting) => {
    const t = setUp({
      resources: orphans(['gone']),
      ...(starting.topologyState ? { topologyState: starting.topologyState } : {}),
    });
    t.setRuntimeStarting(starting.runtime ?? false);
    t.registry.upsert(reapPolicy('p', spec()));

    await expect(t.controller.reconcile('p')).resolves.toEqual({ requeueAfterMs: 1_000 });

    expect(t.runtime.sweeps).toBe(0);
    expect(t.calls.log).toEqual([]);
  });

  type Blind = [what: string, blind: (t: ReturnType<typeof setUp>) => void];
  test.each<Blind>([
    [
      'an owner informer lost its watch',
      (t) => t.owners.set(TOPOLOGY, [topology('live')], { synced: true, healthy: false, lastError: 'HTTP 500' }),
    ],
    [
      'an owner informer failed its first list',
      (t) => t.owners.set(TOPOLOGY, [], { synced: false, healthy: false, lastError: 'HTTP 403' }),
    ],
    ['the runtime cannot be listed', (t) => (t.runtime.listError = 'connect ENOENT /var/run/docker.sock')],
  ])('%s: the sweep fails closed, removes nothing, reports once and looks again within 10 s', async (_what, blind) => {
    const t = setUp({ resources: orphans(['gone']), live: ['live'] });
    blind(t);
    t.registry.upsert(reapPolicy('p', spec()));

    await expect(t.controller.reconcile('p')).resolves.toEqual({ requeueAfterMs: 10_000 });

    expect(t.runtime.removed).toEqual([]);
    expect(t.calls.log).toEqual(['event Warning FailedClosed', 'report FailedClosed']);
    const [facts] = t.reporter.written;
    expect(facts!.failedClosed.length).toBeGreaterThan(0);
    // A blind sweep cannot tell which held waves still have orphans here: it says nothing of them.
    expect(facts).not.toHaveProperty('heldWaves');
  });

  test('a sweep reaps the orphans of gone owners, writes one report and asks again after the interval', async () => {
    const t = setUp({ resources: [...orphans(['gone']), container('c-live', 'live')], live: ['live'] });
    t.registry.upsert(reapPolicy('p', spec()));

    await expect(t.controller.reconcile('p')).resolves.toEqual({ requeueAfterMs: INTERVAL_MS });

    expect(t.calls.log).toEqual(['remove container:c-gone: reaped', 'event Normal Reaped', 'report Completed']);
    const [facts] = t.reporter.written;
    expect(facts).toMatchObject({ generation: 1, failedClosed: [], overlaps: [], heldWaves: [] });
    expect(facts!.report).toMatchObject({ outcome: 'Completed', mode: 'Reap', node: 'node-a', liveOwners: 1 });
    expect(facts!.report.counts.containers).toMatchObject({ orphaned: 1, reaped: 1 });
    // The runtime as the sweep left it: the next report does not count the reaped container.
    expect(t.remembered.map((s) => s.resources.map((r) => r.id))).toEqual([['c-live']]);
    expect(t.metrics.sweeps).toBe(1);
  });

  test('the requeue is the interval less up to a tenth at random, so a fleet does not sweep in step', async () => {
    const t = setUp({ random: 1 });
    t.registry.upsert(reapPolicy('p', spec()));
    await expect(t.controller.reconcile('p')).resolves.toEqual({ requeueAfterMs: 0.9 * INTERVAL_MS });
  });

  test('DryRun: the same sweep removes nothing and reports what it would have reaped', async () => {
    const t = setUp({ resources: orphans(['gone']) });
    t.registry.upsert(reapPolicy('p', spec({ mode: 'DryRun' })));

    await expect(t.controller.reconcile('p')).resolves.toEqual({ requeueAfterMs: INTERVAL_MS });

    expect(t.runtime.removed).toEqual([]);
    const [facts] = t.reporter.written;
    expect(facts!.report).toMatchObject({ outcome: 'Completed', mode: 'DryRun' });
    expect(facts!.report.counts.containers).toMatchObject({ orphaned: 1, reaped: 0 });
    expect(t.remembered[0]!.resources.map((r) => r.id)).toEqual(['c-gone']);
  });

  test('a removal that fails is reported and warned about; the sweep still asks again after the interval', async () => {
    const t = setUp({ resources: orphans(['gone']) });
    t.runtime.outcome = () => failed('device busy');
    t.registry.upsert(reapPolicy('p', spec()));

    await expect(t.controller.reconcile('p')).resolves.toEqual({ requeueAfterMs: INTERVAL_MS });

    expect(t.events.recorded.filter((e) => e.type === 'Warning').map((e) => e.message)).toEqual([
      expect.stringContaining('device busy'),
    ]);
    expect(t.reporter.written[0]!.report.counts.containers).toMatchObject({ orphaned: 1, failed: 1 });
  });

  test('grace: an orphan waits out the grace period across sweeps, and a new generation starts it over', async () => {
    const t = setUp({ resources: orphans(['gone']) });
    const withGrace = (generation: number) =>
      reapPolicy('p', spec({ timing: { gracePeriod: '1m', interval: '5m' } }), { generation });
    t.registry.upsert(withGrace(1));

    await t.controller.reconcile('p');
    expect(t.runtime.removed).toEqual([]);

    // A new spec may attribute differently: the grace clock the first sweep started is dropped.
    t.clock.advance(MINUTE + 1);
    t.registry.upsert(withGrace(2));
    await t.controller.reconcile('p');
    expect(t.runtime.removed).toEqual([]);

    t.clock.advance(MINUTE + 1);
    await t.controller.reconcile('p');
    expect(t.runtime.removed).toEqual(['remove container:c-gone: reaped']);
    expect(t.reporter.written.map((f) => f.generation)).toEqual([1, 2, 2]);
  });

  test('a burst of owner deletions under way: its orphans wait for it to end, with a follow-up once it has', async () => {
    // Ten deletions within the window make a burst; 12 of 52 owners is no mass deletion once judged.
    const gone = Array.from({ length: 12 }, (_, i) => `gone-${String(i).padStart(2, '0')}`);
    const live = Array.from({ length: 40 }, (_, i) => `live-${i}`);
    const t = setUp({ resources: orphans(gone), live });
    t.registry.upsert(reapPolicy('p', spec()));
    t.deleteOwners(gone);

    // The mass-deletion window (10 s) and a second for the last deletions to reach the watch.
    await expect(t.controller.reconcile('p')).resolves.toEqual({ requeueAfterMs: 11_000 });
    expect(t.runtime.removed).toEqual([]);
    expect(t.reporter.written[0]).toMatchObject({ followUpInMs: 11_000 });

    t.clock.advance(11_000);
    await expect(t.controller.reconcile('p')).resolves.toEqual({ requeueAfterMs: INTERVAL_MS });
    expect(t.runtime.removed).toHaveLength(12);
    expect(t.reporter.written[1]).not.toHaveProperty('followUpInMs');
  });

  test('a mass deletion is held for approval: Blocked, the held wave reported, looked at again once the wave closes', async () => {
    const gone = Array.from({ length: 12 }, (_, i) => `gone-${String(i).padStart(2, '0')}`);
    const t = setUp({ resources: orphans(gone), live: ['live-1', 'live-2'] });
    t.registry.upsert(reapPolicy('p', spec()));
    t.deleteOwners(gone);
    t.clock.advance(11_000); // the burst has ended; the wave is whole

    const result = await t.controller.reconcile('p');

    expect(t.runtime.removed).toEqual([]);
    const [facts] = t.reporter.written;
    expect(facts!.report.outcome).toBe('Blocked');
    expect(facts!.blockedDescription).toBeDefined();
    expect(facts!.heldWaves).toEqual([
      expect.objectContaining({ owners: 12, ownerKeys: gone, approvalId: facts!.report.approvalId }),
    ]);
    expect(t.events.reasons()).toContain('Warning SweepBlocked');
    // The wave's window has closed: nothing more will join it, so the next look is after the interval.
    expect(result).toEqual({ requeueAfterMs: INTERVAL_MS });
  });

  const heldWave = (lastAt: number): HeldWaveRecord => ({
    approvalId: 'recalled-wave',
    owners: 40,
    firstTime: new Date(lastAt - MINUTE).toISOString(),
    lastTime: new Date(lastAt).toISOString(),
    ownerKeys: ['gone-1', 'gone-2'],
  });

  test('waves recalled from this node’s report are held still, under the approval id they had', async () => {
    const t = setUp({ resources: orphans(['gone-1']), live: ['live'] });
    t.reporter.recall = [heldWave(NOW - 29 * MINUTE)];
    t.registry.upsert(reapPolicy('p', spec()));

    await t.controller.reconcile('p');
    await t.controller.reconcile('p');

    expect(t.runtime.removed).toEqual([]);
    expect(t.reporter.written.map((f) => f.report.outcome)).toEqual(['Blocked', 'Blocked']);
    // Held as long as this node has orphans of it, and only the owners it still has orphans of.
    expect(t.reporter.written[1]!.heldWaves).toEqual([
      expect.objectContaining({ approvalId: 'recalled-wave', owners: 40, ownerKeys: ['gone-1'] }),
    ]);
  });

  test('blocked by a wave whose window is still open: looked at again once it has closed, not after the interval', async () => {
    const t = setUp({ resources: orphans(['gone-1']), live: ['live'] });
    t.reporter.recall = [heldWave(NOW - 4_000)];
    t.registry.upsert(reapPolicy('p', spec()));

    await expect(t.controller.reconcile('p')).resolves.toEqual({ requeueAfterMs: 11_000 });
    expect(t.reporter.written[0]!.report.outcome).toBe('Blocked');
  });

  test('claims overlapping another policy’s: one ClaimsOverlap warning per change, not one per sweep', async () => {
    const t = setUp();
    t.registry.upsert(reapPolicy('p', spec()));
    t.registry.upsert(reapPolicy('rival', { owners: [SANDBOX] }));

    await t.controller.reconcile('p');
    await t.controller.reconcile('p');
    expect(t.events.reasons()).toEqual(['Warning ClaimsOverlap']);
    expect(t.reporter.written[1]!.overlaps).toHaveLength(1);

    t.registry.remove('rival');
    await t.controller.reconcile('p');
    t.registry.upsert(reapPolicy('rival', { owners: [SANDBOX] }));
    await t.controller.reconcile('p');
    expect(t.events.reasons()).toEqual(['Warning ClaimsOverlap', 'Warning ClaimsOverlap']);
  });
});
