// The owner controller's decisions, with its ports faked in-process (test/support/reconciler-fakes.ts)
// and the real teardown sweep in between. The same controller against real engines and an API
// server: test/integration/controllers/finalizer.test.ts and finalizer-teardown.test.ts.
import type { KubernetesObject } from '@kubernetes/client-node';
import { TEARDOWN_FINALIZER } from '../../../controllers/finalizer.js';
import { OwnerController, ownerQueueKey } from '../../../controllers/owner-controller.js';
import { PolicyRegistry } from '../../../controllers/policy-registry.js';
import type { Condition, OwnerStatus } from '../../../src/api/types.js';
import type { RuntimeResource } from '../../../src/core/model.js';
import type { InformerState } from '../../../src/kube/informer.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { failed, skipped } from '../../../src/runtime/removal.js';
import {
  Calls,
  FakeFinalizers,
  FakeOwnerCaches,
  FakeRuntime,
  FakeOwnerReader,
  FakeStoredObjects,
  labPolicySpec,
  notFound,
  RecordingEvents,
  RecordingStatus,
  reapPolicy,
  SYNCED,
  topology,
  TOPOLOGY,
} from '../../support/reconciler-fakes.js';
import { container, NOW } from '../../support/builders.js';

const RESYNC_MS = 300_000;
const KEY_A = ownerQueueKey(TOPOLOGY.apiVersion, TOPOLOGY.kind, 'labs', 't-A');
const REF_A = { ...TOPOLOGY, namespace: 'labs', name: 't-A' };

const finalizerPolicy = () => reapPolicy('fin', labPolicySpec({ teardown: 'Finalizer' }));
const sweepPolicy = () => reapPolicy('sweep', labPolicySpec({ teardown: 'Sweep' }));
/** Invalid (the mode), yet it says Finalizer for Topologies: its finalizers must not be dropped. */
const invalidFinalizerPolicy = () =>
  reapPolicy('broken', { ...labPolicySpec({ teardown: 'Finalizer' }), mode: 'Everything' });

const held = { finalizers: [TEARDOWN_FINALIZER] };
const deleting = { ...held, deletionTimestamp: new Date(NOW).toISOString() };
const tornDown = (status: Condition['status'], message: string): OwnerStatus => ({
  conditions: [{ type: 'TornDown', status, reason: 'x', message, lastTransitionTime: new Date(NOW).toISOString() }],
});

interface SetUp {
  policies?: ReturnType<typeof reapPolicy>[];
  /** The Topologies in the cache, and as the API server holds them. */
  owners?: KubernetesObject[];
  resources?: RuntimeResource[];
  seesEveryPolicy?: boolean;
  policiesSynced?: boolean;
  topologyState?: InformerState;
}

function setUp({
  policies = [finalizerPolicy()],
  owners = [],
  resources = [],
  seesEveryPolicy = true,
  policiesSynced = true,
  topologyState = SYNCED,
}: SetUp = {}) {
  const calls = new Calls();
  const registry = new PolicyRegistry();
  for (const policy of policies) registry.upsert(policy);
  const stored = new FakeStoredObjects();
  for (const owner of owners) stored.put(owner);
  const runtime = new FakeRuntime(resources, calls);
  const finalizers = new FakeFinalizers(calls);
  const status = new RecordingStatus(calls);
  const events = new RecordingEvents(calls);
  const teardowns: string[] = [];
  const controller = new OwnerController({
    registry,
    policiesSynced: () => policiesSynced,
    seesEveryPolicy,
    informers: new FakeOwnerCaches().set(TOPOLOGY, owners, topologyState),
    stored,
    freshOwners: new FakeOwnerReader(stored),
    engine: runtime,
    finalizers,
    status,
    events,
    metrics: { recordTeardown: (kind, result) => void teardowns.push(`${kind} ${result}`) },
    host: { node: 'node-a', now: () => NOW, random: () => 0 },
    logger: silentLogger,
    resyncMs: RESYNC_MS,
  });
  return { controller, calls, runtime, finalizers, status, events, stored, teardowns };
}

/** The status the (first) teardown wrote. */
const written = (t: ReturnType<typeof setUp>) => t.status.applied[0]!.status as OwnerStatus;

describe('OwnerController.reconcile: before the caches can be trusted', () => {
  test('a kind with no cache (no policy names it, not a built-in kind): nothing', async () => {
    const t = setUp();
    const key = ownerQueueKey('example.com/v1', 'Lab', 'labs', 'l-A');
    await expect(t.controller.reconcile(key)).resolves.toBeUndefined();
    expect(t.calls.log).toEqual([]);
  });

  test.each<[what: string, setUp: SetUp]>([
    ['the owner cache has not listed yet', { topologyState: { synced: false, healthy: true } }],
    ['the ReapPolicy cache has not listed yet', { policiesSynced: false }],
  ])('%s: nothing decided, looked at again in a second', async (_what, given) => {
    const t = setUp({ owners: [topology('A', held)], policies: [sweepPolicy()], ...given });
    await expect(t.controller.reconcile(KEY_A)).resolves.toEqual({ requeueAfterMs: 1_000 });
    expect(t.calls.log).toEqual([]);
  });

  test('an owner gone from the cache: what is remembered of its status is forgotten, nothing written', async () => {
    const t = setUp();
    await expect(t.controller.reconcile(KEY_A)).resolves.toBeUndefined();
    expect(t.status.forgotten).toEqual([REF_A]);
    expect(t.calls.log).toEqual([]);
  });
});

describe('OwnerController.reconcile: the finalizer of a live owner', () => {
  type Row = [
    what: string,
    given: { policies: ReturnType<typeof reapPolicy>[]; finalizer: boolean; seesEveryPolicy?: boolean },
    calls: string[],
  ];
  test.each<Row>([
    [
      'a Finalizer policy manages it: added',
      { policies: [finalizerPolicy()], finalizer: false },
      ['finalizer add t-A'],
    ],
    [
      'a Finalizer policy manages it, finalizer on already: added again (the writer finds nothing to do)',
      { policies: [finalizerPolicy()], finalizer: true },
      ['finalizer add t-A'],
    ],
    [
      'a Finalizer and a Sweep policy manage it: added',
      { policies: [sweepPolicy(), finalizerPolicy()], finalizer: false },
      ['finalizer add t-A'],
    ],
    [
      'only a Sweep policy manages it: removed, deletions are not held for nothing',
      { policies: [sweepPolicy()], finalizer: true },
      ['finalizer remove t-A'],
    ],
    ['only a Sweep policy, no finalizer: nothing', { policies: [sweepPolicy()], finalizer: false }, []],
    ['no policy at all: removed', { policies: [], finalizer: true }, ['finalizer remove t-A']],
    [
      'an invalid policy says Finalizer for the kind: kept until it is fixed',
      { policies: [invalidFinalizerPolicy()], finalizer: true },
      [],
    ],
    [
      'this agent sees only some policies and none of them manages it: another agent set’s, left alone',
      { policies: [], finalizer: true, seesEveryPolicy: false },
      [],
    ],
  ])('%s', async (_what, { policies, finalizer, seesEveryPolicy = true }, calls) => {
    const t = setUp({ policies, seesEveryPolicy, owners: [topology('A', finalizer ? held : {})] });
    await expect(t.controller.reconcile(KEY_A)).resolves.toBeUndefined();
    expect(t.calls.log).toEqual(calls);
    expect(t.runtime.sweeps).toBe(0);
  });
});

describe('OwnerController.reconcile: an owner being deleted', () => {
  const mine = () => [container('c-A1', 'A'), container('c-A2', 'A')];
  const others = () => [container('c-B', 'B'), container('c-gone', 'gone')];

  test('tears down what it left on this node, records TornDown and lastReap, then lets it go', async () => {
    const t = setUp({ owners: [topology('A', deleting), topology('B')], resources: [...mine(), ...others()] });

    await expect(t.controller.reconcile(KEY_A)).resolves.toBeUndefined();

    // Only this owner's: another live owner's stay, and another gone owner's are the periodic sweep's.
    expect(t.calls.log).toEqual([
      'remove container:c-A1: reaped',
      'remove container:c-A2: reaped',
      'status t-A',
      'event Normal TornDown',
      'finalizer remove t-A',
    ]);
    expect(t.status.applied.map((a) => a.ref)).toEqual([REF_A]);
    const status = written(t);
    expect(status.observedGeneration).toBe(1);
    expect(status.conditions).toEqual([
      expect.objectContaining({ type: 'TornDown', status: 'True', reason: 'Reaped', message: 'reaped on node-a' }),
    ]);
    expect(status.lastReap).toMatchObject({ node: 'node-a', outcome: 'Completed' });
    expect(t.events.recorded[0]!.message).toBe('reaped 2 runtime resources on node-a');
    expect(t.events.recorded[0]!.subject).toMatchObject({ kind: 'Topology', name: 't-A', uid: 'uid-A' });
    expect(t.teardowns).toEqual(['Topology Reaped']);
  });

  test('a key another live owner shares stays live: nothing of it is reaped, the owner is still let go', async () => {
    const twin = topology('A', { name: 't-A-twin', uid: 'uid-A-twin' });
    const t = setUp({ owners: [topology('A', deleting), twin], resources: mine() });

    await t.controller.reconcile(KEY_A);

    expect(t.runtime.removed).toEqual([]);
    expect(t.calls.log).toEqual(['status t-A', 'event Normal TornDown', 'finalizer remove t-A']);
    expect(t.events.recorded[0]!.message).toBe('reaped 0 runtime resources on node-a');
  });

  test('the runtime cannot be listed: fails closed, TornDown False, a warning, the finalizer kept and an error to retry', async () => {
    const t = setUp({ owners: [topology('A', deleting)], resources: mine() });
    t.runtime.listError = 'connect ENOENT /var/run/docker.sock';

    await expect(t.controller.reconcile(KEY_A)).rejects.toThrow(
      /teardown of Topology labs\/t-A failed: fin: failed closed/,
    );

    expect(t.calls.log).toEqual(['status t-A', 'event Warning TeardownFailed']);
    const status = written(t);
    expect(status.conditions).toEqual([
      expect.objectContaining({
        type: 'TornDown',
        status: 'False',
        reason: 'TeardownFailed',
        message: expect.stringMatching(/^finalizer kept, retrying: fin: failed closed: .*docker\.sock/),
      }),
    ]);
    expect(t.teardowns).toEqual(['Topology Failed']);
  });

  test.each<[what: string, outcome: () => ReturnType<typeof failed>]>([
    ['a removal fails', () => failed('device or resource busy')],
    ['the engine declines a removal (in use)', () => skipped('in use by container x')],
  ])('%s: the finalizer is kept and the message names what was left behind', async (_what, outcome) => {
    const t = setUp({ owners: [topology('A', deleting)], resources: [container('c-A1', 'A')] });
    t.runtime.outcome = outcome;

    await expect(t.controller.reconcile(KEY_A)).rejects.toThrow(/container:c-A1/);

    expect(t.calls.log.slice(1)).toEqual(['status t-A', 'event Warning TeardownFailed']);
    expect(t.events.recorded[0]!.message).toMatch(/^teardown kept the finalizer: fin: container:c-A1: /);
  });

  test('the same failure again: no second status write, whose watch event would bypass the retry backoff', async () => {
    const t = setUp({ owners: [topology('A', deleting)], resources: mine() });
    t.runtime.listError = 'connect ENOENT /var/run/docker.sock';
    await expect(t.controller.reconcile(KEY_A)).rejects.toThrow();
    // The API server now holds the condition the first attempt wrote.
    t.stored.put(topology('A', deleting, written(t)));

    await expect(t.controller.reconcile(KEY_A)).rejects.toThrow();

    expect(t.status.applied).toHaveLength(1);
    expect(t.events.reasons()).toEqual(['Warning TeardownFailed', 'Warning TeardownFailed']);
  });

  test('torn down before and nothing new to reap: the record and event stand, the finalizer comes off', async () => {
    const t = setUp({ owners: [topology('A', deleting, tornDown('True', 'reaped on node-a'))] });

    await t.controller.reconcile(KEY_A);

    expect(t.calls.log).toEqual(['finalizer remove t-A']);
    expect(t.teardowns).toEqual([]);
  });

  test('a teardown that failed before and now succeeds: TornDown turns True', async () => {
    const t = setUp({
      owners: [topology('A', deleting, tornDown('False', 'finalizer kept, retrying: x'))],
      resources: mine(),
    });

    await t.controller.reconcile(KEY_A);

    const status = written(t);
    expect(status.conditions).toEqual([expect.objectContaining({ type: 'TornDown', status: 'True' })]);
    expect(t.calls.log.at(-1)).toBe('finalizer remove t-A');
  });

  test.each<[what: string, change: (stored: FakeStoredObjects) => void]>([
    ['gone from the API server already', (stored) => stored.objects.clear()],
    ['replaced by a new object of the same name', (stored) => stored.put(topology('A', { uid: 'uid-A-new' }))],
  ])('%s: nothing torn down and no finalizer touched; the new object has its own turn', async (_what, change) => {
    const t = setUp({ owners: [topology('A', deleting)], resources: mine() });
    change(t.stored);

    await expect(t.controller.reconcile(KEY_A)).resolves.toBeUndefined();

    expect(t.calls.log).toEqual([]);
  });

  test('recreated under the same name between plan and removal: the re-check keeps its resources', async () => {
    const t = setUp({ owners: [topology('A', deleting)], resources: [container('c-A1', 'A')] });
    // The teardown's first read finds the object being deleted; by the re-check a new one has the name.
    const read = t.stored.read.bind(t.stored);
    let reads = 0;
    t.stored.read = (header) => (++reads === 1 ? read(header) : Promise.resolve(topology('A', { uid: 'uid-A-new' })));

    await expect(t.controller.reconcile(KEY_A)).rejects.toThrow(/c-A1/);

    expect(t.runtime.removed).toEqual([]);
    expect(t.calls.log).not.toContain('finalizer remove t-A');
  });

  test('without reaper’s finalizer: nothing to do', async () => {
    const t = setUp({ owners: [topology('A', { deletionTimestamp: deleting.deletionTimestamp })], resources: mine() });
    await expect(t.controller.reconcile(KEY_A)).resolves.toBeUndefined();
    expect(t.calls.log).toEqual([]);
  });

  test('no policy asks for teardown any more: let go without one', async () => {
    const t = setUp({ policies: [sweepPolicy()], owners: [topology('A', deleting)], resources: mine() });
    await expect(t.controller.reconcile(KEY_A)).resolves.toBeUndefined();
    expect(t.calls.log).toEqual(['finalizer remove t-A']);
    expect(t.runtime.sweeps).toBe(0);
  });

  test('only an invalid policy asks for teardown: the deletion is held and looked at again after a resync', async () => {
    const t = setUp({ policies: [invalidFinalizerPolicy()], owners: [topology('A', deleting)], resources: mine() });
    await expect(t.controller.reconcile(KEY_A)).resolves.toEqual({ requeueAfterMs: RESYNC_MS });
    expect(t.calls.log).toEqual([]);
  });

  test('the owner is gone by the time the finalizer comes off (404): done, not an error', async () => {
    const t = setUp({ owners: [topology('A', deleting)], resources: mine() });
    t.finalizers.removal = () => {
      throw notFound();
    };
    await expect(t.controller.reconcile(KEY_A)).resolves.toBeUndefined();
    expect(t.calls.log.at(-1)).toBe('finalizer remove t-A');
  });

  test('two Finalizer policies: each tears down in turn, and the owner is let go once', async () => {
    const second = reapPolicy('fin-2', labPolicySpec({ teardown: 'Finalizer' }));
    const t = setUp({ policies: [finalizerPolicy(), second], owners: [topology('A', deleting)], resources: mine() });

    await t.controller.reconcile(KEY_A);

    expect(t.runtime.sweeps).toBe(2);
    expect(t.runtime.removed).toHaveLength(2);
    expect(t.calls.log.slice(-3)).toEqual(['status t-A', 'event Normal TornDown', 'finalizer remove t-A']);
  });
});
