import { DeletionTrigger } from '../../../controllers/deletion-trigger.js';
import type { ManagingPolicy } from '../../../controllers/policy-registry.js';
import type { RuntimeSnapshot } from '../../../src/core/model.js';
import type { Policy } from '../../../src/core/policy.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { container, network, policy, snapshot } from '../../support/builders.js';

// The fixture policy keys Topologies by .spec.labId: an owner object with labId A has key A.
const lab = (labId: string) => ({
  apiVersion: 'reaper.dev/v1alpha1',
  kind: 'Topology',
  metadata: { name: `lab-${labId}`, namespace: 'labs', uid: `uid-${labId}` },
  spec: { labId },
});

interface World {
  readonly trigger: DeletionTrigger;
  readonly swept: string[];
  readonly looked: { policy: string; at: number }[];
  readonly managing: ManagingPolicy[];
  clock: number;
}

function world(
  listing: () => Promise<RuntimeSnapshot>,
  options: { policies?: Policy[]; delayMs?: number; freshDelayMs?: number; fresh?: () => boolean } = {},
): World {
  const policies = options.policies ?? [policy()];
  const w = {
    swept: [] as string[],
    looked: [] as { policy: string; at: number }[],
    managing: policies.map((p) => ({ policy: p, ownerKind: p.owners[0]! })),
    clock: 1_000,
  } as Omit<World, 'trigger'> & { trigger?: DeletionTrigger };
  w.trigger = new DeletionTrigger({
    delayMs: options.delayMs ?? 5,
    ...(options.freshDelayMs !== undefined ? { freshDelayMs: options.freshDelayMs } : {}),
    ...(options.fresh ? { runtimeFresh: options.fresh } : {}),
    snapshotSince: (p, at) => {
      w.looked.push({ policy: p.name, at });
      return listing();
    },
    policyNamed: (name) => policies.find((p) => p.name === name),
    sweep: (name) => w.swept.push(name),
    now: () => w.clock,
    logger: silentLogger,
  });
  return w as World;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

test('an agent that holds something of a deleted owner sweeps, once for a burst of deletions', async () => {
  const w = world(async () => snapshot([container('c1', 'A'), container('c2', 'C')]));
  w.trigger.ownerDeleted(lab('A'), w.managing);
  w.clock += 100;
  w.trigger.ownerDeleted(lab('B'), w.managing);
  await settle();
  expect(w.swept).toEqual(['default']);
  // One look at the runtime for the burst, taken no earlier than the first deletion.
  expect(w.looked).toEqual([{ policy: 'default', at: 1_000 }]);
});

test('holding only a network of the owner is holding something', async () => {
  const w = world(async () => snapshot([network('n1', 'A')]));
  w.trigger.ownerDeleted(lab('A'), w.managing);
  await settle();
  expect(w.swept).toEqual(['default']);
});

test('an agent that holds nothing of the deleted owners stays quiet: no sweep', async () => {
  const w = world(async () => snapshot([container('c1', 'B'), container('c2'), network('n1', 'C')]));
  w.trigger.ownerDeleted(lab('A'), w.managing);
  await settle();
  expect(w.looked).toHaveLength(1);
  expect(w.swept).toEqual([]);
});

test('a resource with the key but out of the policy’s scope (no kind label) is not something it holds', async () => {
  const unlabelled = container('c1', undefined, { labels: { 'reaper.dev/owner-uid': 'A' } });
  const w = world(async () => snapshot([unlabelled]));
  w.trigger.ownerDeleted(lab('A'), w.managing);
  await settle();
  expect(w.swept).toEqual([]);
});

test('a runtime not fully listed, or a listing that fails, cannot say it holds nothing: sweep', async () => {
  const incomplete = world(async () => snapshot([], { complete: false, errors: ['containers: engine gone'] }));
  incomplete.trigger.ownerDeleted(lab('A'), incomplete.managing);
  const failing = world(() => Promise.reject(new Error('connect ENOENT /var/run/docker.sock')));
  failing.trigger.ownerDeleted(lab('A'), failing.managing);
  await settle();
  expect(incomplete.swept).toEqual(['default']);
  expect(failing.swept).toEqual(['default']);
});

test('an owner without a key sweeps without looking', async () => {
  const w = world(async () => snapshot([]));
  const keyless = { ...lab('A'), spec: {} };
  w.trigger.ownerDeleted(keyless, w.managing);
  await settle();
  expect(w.looked).toEqual([]);
  expect(w.swept).toEqual(['default']);
});

test('each managing policy decides for itself', async () => {
  const other = policy({ name: 'other', match: [{ type: 'label', label: 'example.com/lab' }] });
  const w = world(async () => snapshot([container('c1', 'A')]), { policies: [policy(), other] });
  w.trigger.ownerDeleted(lab('A'), w.managing);
  await settle();
  expect(w.swept).toEqual(['default']);
  expect(w.looked.map((l) => l.policy).sort()).toEqual(['default', 'other']);
});

test('a policy gone before the burst is looked at, and a stopped trigger, sweep nothing', async () => {
  const gone = world(async () => snapshot([container('c1', 'A')]), { policies: [] });
  gone.trigger.ownerDeleted(lab('A'), [{ policy: policy(), ownerKind: policy().owners[0]! }]);
  const stopped = world(async () => snapshot([container('c1', 'A')]));
  stopped.trigger.ownerDeleted(lab('A'), stopped.managing);
  stopped.trigger.stop();
  stopped.trigger.ownerDeleted(lab('B'), stopped.managing);
  await settle();
  expect(gone.swept).toEqual([]);
  expect(stopped.swept).toEqual([]);
  expect(stopped.looked).toEqual([]);
});

test('with the runtime followed and readable, the look comes after the short delay; otherwise after the whole one', async () => {
  let fresh = true;
  const w = world(async () => snapshot([container('c1', 'A')]), {
    delayMs: 10_000,
    freshDelayMs: 1,
    fresh: () => fresh,
  });
  w.trigger.ownerDeleted(lab('A'), w.managing);
  await settle();
  expect(w.swept).toEqual(['default']);
  // The view broken: looking again means listing, so a burst gathers for the whole delay.
  fresh = false;
  w.trigger.ownerDeleted(lab('A'), w.managing);
  await settle();
  expect(w.swept).toEqual(['default']);
  w.trigger.stop();
});
