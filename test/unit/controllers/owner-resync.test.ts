import { jest } from '@jest/globals';
import type * as k8s from '@kubernetes/client-node';
import type Docker from 'dockerode';
import { foundChangesBetween, OwnerResync, ownersToRequeue } from '../../../controllers/owner-resync.js';
import { FoundIndex } from '../../../controllers/owner-status.js';
import { RuntimeView } from '../../../controllers/runtime-view.js';
import type { RuntimeSnapshot } from '../../../src/core/model.js';
import type { InformerTarget } from '../../../src/kube/informer.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { NOW, container, policy, snapshot } from '../core/fixtures.js';
import { DockerEngine } from '../../../src/runtime/docker-engine.js';

const TOPOLOGY = { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology' };
const SANDBOX = { apiVersion: 'reaper.dev/v1alpha1', kind: 'Sandbox' };
const LAB = { apiVersion: 'example.com/v1', kind: 'Lab' };

// Owners keyed by spec.labId (the fixtures' policy); Sandboxes by the same field in namespace "ci" only.
const managing = policy({
  owners: [
    { ...TOPOLOGY, namespaces: [], key: { type: 'field', path: ['spec', 'labId'] } },
    { ...SANDBOX, namespaces: ['ci'], key: { type: 'field', path: ['spec', 'labId'] } },
    { ...LAB, namespaces: [], key: { type: 'field', path: ['spec', 'labId'] } },
  ],
});

const owner = (name: string, labId: string | undefined, namespace = 'default'): k8s.KubernetesObject =>
  ({ metadata: { name, namespace }, ...(labId !== undefined ? { spec: { labId } } : {}) }) as k8s.KubernetesObject;

const cache = new Map<string, k8s.KubernetesObject[]>([
  ['Topology', [owner('t-a', 'A'), owner('t-b', 'B'), owner('t-nokey', undefined)]],
  ['Sandbox', [owner('s-a-ci', 'A', 'ci'), owner('s-a-other', 'A', 'other')]],
  ['Lab', [owner('lab-a', 'A')]],
]);
const ownersOf = (target: InformerTarget) => cache.get(target.kind) ?? [];
const isStatusKind = (target: InformerTarget) => target.kind === 'Topology' || target.kind === 'Sandbox';
const names = (queued: { object: k8s.KubernetesObject }[]) => queued.map((q) => q.object.metadata!.name).sort();

const before = snapshot([container('a1', 'A'), container('b1', 'B')]);
const aGrew = snapshot([container('a1', 'A'), container('a2', 'A'), container('b1', 'B')], { takenAt: NOW + 1 });

describe('ownersToRequeue', () => {
  const changes = new FoundIndex(aGrew, managing).changesSince(new FoundIndex(before, managing));

  test('only owners whose key changed, of the kinds with a status, in the namespaces the policy names', () => {
    // Not t-b (unchanged), not t-nokey (no key), not s-a-other (namespace not managed), not lab-a (no status kind).
    expect(names(ownersToRequeue(managing, changes, isStatusKind, ownersOf))).toEqual(['s-a-ci', 't-a']);
  });

  test('nothing changed: nobody is queued, and no owner is looked at', () => {
    const unchanged = new FoundIndex(before, managing).changesSince(new FoundIndex(before, managing));
    const looked: string[] = [];
    const watching = (target: InformerTarget) => (looked.push(target.kind), ownersOf(target));
    expect(ownersToRequeue(managing, unchanged, isStatusKind, watching)).toEqual([]);
    expect(looked).toEqual([]);
  });

  test("'all': every owner of the status kinds the policy manages, with a key or not", () => {
    expect(names(ownersToRequeue(managing, 'all', isStatusKind, ownersOf))).toEqual([
      's-a-ci',
      't-a',
      't-b',
      't-nokey',
    ]);
  });
});

describe('foundChangesBetween', () => {
  test.each<[string, RuntimeSnapshot, RuntimeSnapshot | undefined, 'all' | 'none' | 'changes']>([
    ['the first snapshot: all', aGrew, undefined, 'all'],
    ['after an incomplete one (its counts were never written): all', aGrew, { ...before, complete: false }, 'all'],
    ['an incomplete one (the last counts stand): none', { ...aGrew, complete: false }, before, 'none'],
    ['two complete ones: what changed', aGrew, before, 'changes'],
  ])('%s', (_name, next, previous, expected) => {
    const result = foundChangesBetween(managing, next, previous);
    expect(typeof result === 'string' ? result : 'changes').toBe(expected);
  });
});

describe('OwnerResync', () => {
  function setup() {
    const queued: string[] = [];
    let listed: RuntimeSnapshot = before;
    const docker = {} as Docker;
    const resync: OwnerResync = new OwnerResync({
      isStatusKind,
      ownersOf,
      enqueue: (_target, object) => queued.push(object.metadata!.name!),
      validPolicies: () => [managing],
      refresh: async (p) => view.remember(p, listed),
      intervalMs: 1_000,
      logger: silentLogger,
    });
    const view = new RuntimeView(new DockerEngine(docker), () => NOW, 30_000, resync.onSnapshot);
    return { queued, view, resync, list: (s: RuntimeSnapshot) => (listed = s) };
  }

  test('through the runtime view: the first snapshot queues every owner, a later one only the changed', () => {
    const { queued, view } = setup();
    view.remember(managing, before);
    expect(queued.sort()).toEqual(['s-a-ci', 't-a', 't-b', 't-nokey']);
    queued.length = 0;
    view.remember(managing, aGrew);
    expect(queued.sort()).toEqual(['s-a-ci', 't-a']);
    queued.length = 0;
    view.remember(managing, aGrew); // the same snapshot again: not adopted, nothing announced
    view.remember(managing, { ...aGrew, takenAt: NOW + 2 }); // a new listing, the same counts
    expect(queued).toEqual([]);
  });

  test('a new generation of the policy compares with nothing: every owner again', () => {
    const { queued, view } = setup();
    view.remember(managing, before);
    queued.length = 0;
    view.remember({ ...managing, generation: 2 }, before);
    expect(queued.sort()).toEqual(['s-a-ci', 't-a', 't-b', 't-nokey']);
  });

  test('the timer refreshes the view; a change it finds queues its owners', async () => {
    jest.useFakeTimers();
    try {
      const { queued, view, resync, list } = setup();
      view.remember(managing, before);
      queued.length = 0;
      resync.start();
      await jest.advanceTimersByTimeAsync(1_000);
      expect(queued).toEqual([]); // the same listing
      list(aGrew);
      await jest.advanceTimersByTimeAsync(1_000);
      expect(queued.sort()).toEqual(['s-a-ci', 't-a']);
      resync.stop();
      list(snapshot([], { takenAt: NOW + 5 }));
      await jest.advanceTimersByTimeAsync(5_000);
      expect(queued.sort()).toEqual(['s-a-ci', 't-a']); // stopped: no more refreshes
    } finally {
      jest.useRealTimers();
    }
  });

  test('a listener failure is logged, never thrown into the sweep that remembered the snapshot', () => {
    const resync = new OwnerResync({
      isStatusKind,
      ownersOf: () => {
        throw new Error('cache gone');
      },
      enqueue: () => undefined,
      validPolicies: () => [],
      refresh: async () => undefined,
      intervalMs: 1_000,
      logger: silentLogger,
    });
    expect(() => resync.onSnapshot(managing, before, undefined)).not.toThrow();
  });
});
