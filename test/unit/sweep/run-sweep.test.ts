// The one sweep with an in-memory runtime and owners: what each step is given, the reviewed plan's
// path through it, and the re-check's deadline. The same sweep on the real engines:
// test/integration/runtime (sweep-harness.ts).
import { NO_GRACE } from '../../../src/core/grace.js';
import type { LiveOwners, PlannedItem, RuntimeResource } from '../../../src/core/model.js';
import { resourceKey } from '../../../src/core/model.js';
import type { ItemOutcome } from '../../../src/core/outcome.js';
import { planFromReview } from '../../../src/core/review.js';
import type { OwnerSource } from '../../../src/owners/source.js';
import type { Backends } from '../../../src/runtime/backend.js';
import { reaped } from '../../../src/runtime/removal.js';
import type { SweepSources } from '../../../src/sweep/environment.js';
import { sweepEnvironment } from '../../../src/sweep/environment.js';
import { runSweep } from '../../../src/sweep/run-sweep.js';
import { NOW, container, owners, policy } from '../../support/builders.js';

const p = policy({ limits: { maxOrphanPercent: 100 }, timing: { minAgeMs: 0, gracePeriodMs: 0 } });

/** Containers listed as `listed`; removals recorded in `removed`. */
function runtime(listed: RuntimeResource[]) {
  const removed: string[] = [];
  const backends: Backends = {
    container: {
      kind: 'container',
      list: () => Promise.resolve(listed),
      remove: (resource) => {
        removed.push(resource.id);
        return Promise.resolve(reaped());
      },
    },
  };
  return { backends, removed };
}

/** Owners `live` (three of them counted), re-checked by `recheck`; the candidates re-checked are recorded. */
function ownerSource(recheck: () => Promise<LiveOwners> = () => Promise.resolve(owners([]))) {
  const rechecked: string[][] = [];
  const source: OwnerSource = {
    list: () => Promise.resolve({ live: owners(['LIVE']), count: 3 }),
    recheck: (_policy, candidates: readonly PlannedItem[]) => {
      rechecked.push(candidates.map((c) => c.resource.id));
      return recheck();
    },
  };
  return { source, rechecked };
}

const host = (recheckTimeoutMs?: number) => ({ node: 'n1', now: () => NOW, random: () => 0.5, recheckTimeoutMs });
const sweep = (sources: SweepSources, recheckTimeoutMs?: number) =>
  runSweep(p, NO_GRACE, sweepEnvironment(host(recheckTimeoutMs), sources));

test('an ordinary sweep: the orphans are re-checked, then removed; the report counts the owners listed', async () => {
  const { backends, removed } = runtime([container('c1', 'GONE'), container('c2', 'LIVE')]);
  const { source, rechecked } = ownerSource();
  const { report } = await sweep({ backends, owners: source });
  expect(rechecked).toEqual([['c1']]);
  expect(removed).toEqual(['c1']);
  expect(report.liveOwners).toBe(3);
  expect(report.counts.containers).toMatchObject({ scanned: 2, orphaned: 1, reaped: 1 });
});

test('a reviewed plan goes the same way: the changed item is skipped and told, the rest re-checked and removed', async () => {
  const unchanged = container('c1', 'GONE');
  const { backends, removed } = runtime([unchanged, container('c2', 'GONE', { name: 'renamed' })]);
  const { source, rechecked } = ownerSource();
  const told: ItemOutcome[] = [];
  const reviewed = [unchanged, container('c2', 'GONE'), container('c3', 'GONE')].map((resource) => ({
    resource,
    reason: 'reviewed',
    ownerKey: 'GONE',
  }));
  const { report } = await sweep({
    backends,
    owners: source,
    plan: (snapshot) => planFromReview(snapshot, reviewed),
    onItemDone: (outcome) => told.push(outcome),
  });
  expect(rechecked).toEqual([['c1']]);
  expect(removed).toEqual(['c1']);
  expect(report.liveOwners).toBe(3);
  expect(report.items.map((i) => [i.id, i.action, i.reason])).toEqual([
    ['c1', 'Reaped', 'reviewed'],
    ['c2', 'Skipped', 'changed since the plan: name is now renamed'],
    ['c3', 'Skipped', 'changed since the plan: no longer present'],
  ]);
  expect(told.map((o) => [o.key, o.status])).toEqual([
    [resourceKey(container('c2')), 'skipped'],
    [resourceKey(container('c3')), 'skipped'],
    [resourceKey(unchanged), 'reaped'],
  ]);
});

test('a re-check that does not answer within the deadline removes nothing and says why', async () => {
  const { backends, removed } = runtime([container('c1', 'GONE')]);
  const { source } = ownerSource(() => new Promise<LiveOwners>(() => undefined));
  const { report } = await sweep({ backends, owners: source }, 20);
  expect(removed).toEqual([]);
  expect(report.items).toEqual([
    expect.objectContaining({ id: 'c1', action: 'Skipped', reason: expect.stringMatching(/could not confirm/) }),
  ]);
  expect(report.errors).toEqual(['re-check of owners failed: the re-check of owners got no answer within 20 ms']);
});
