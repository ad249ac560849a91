import type { LiveOwners, PlannedItem } from '../../../src/core/model.js';
import type { OwnerLookup } from '../../../src/core/owner-lookup.js';
import type { OwnerReader } from '../../../src/owners/source.js';
import { MAX_OWNER_READS, listingFrom, readOrList } from '../../../src/owners/source.js';
import { container, policy } from '../../support/builders.js';

const TOPOLOGY = { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', namespaces: [], key: { type: 'uid' } } as const;
const p = policy({ owners: [TOPOLOGY] });

const candidate = (key: string, labelled = true): PlannedItem => ({
  resource: container(`c-${key}`, undefined, {
    labels: {
      'reaper.dev/owner-uid': key,
      'reaper.dev/owner-kind': 'Topology.reaper.dev',
      ...(labelled ? { 'reaper.dev/owner-namespace': 'labs', 'reaper.dev/owner-name': `lab-${key}` } : {}),
    },
  }),
  decision: 'selected',
  reason: 'owner gone',
  ownerKey: key,
});

/** A source of owners `live`, recording what it was asked. */
function source(live: string[], readAnswer?: (lookups: readonly OwnerLookup[]) => LiveOwners | undefined) {
  const asked: string[] = [];
  const owners = live.map((key) => ({ apiVersion: TOPOLOGY.apiVersion, kind: 'Topology', name: key, key }));
  const s: OwnerReader = {
    list: async () => {
      asked.push('list');
      return listingFrom(owners, []);
    },
    read: async (lookups) => {
      asked.push(`read ${lookups.map((l) => l.name).join(',')}`);
      return readAnswer
        ? readAnswer(lookups)
        : { keys: new Set(lookups.map((l) => l.key).filter((k) => live.includes(k))), synced: true, errors: [] };
    },
  };
  return { s, asked };
}

test('the candidates’ owners are read one by one when the labels name them', async () => {
  const { s, asked } = source(['a', 'b']);
  const fresh = await readOrList(s, p, [candidate('a'), candidate('gone')]);
  expect(asked).toEqual(['read lab-a,lab-gone']);
  expect([...fresh.keys]).toEqual(['a']);
});

test.each<[string, PlannedItem[], ((l: readonly OwnerLookup[]) => LiveOwners | undefined) | undefined]>([
  ['a candidate whose owner has no name label', [candidate('a'), candidate('b', false)], undefined],
  [
    'more owners than reading each is worth',
    Array.from({ length: MAX_OWNER_READS + 1 }, (_, i) => candidate(`k${i}`)),
    undefined,
  ],
  ['a source that cannot read them so', [candidate('a')], () => undefined],
])('%s: a listing instead', async (_name, candidates, readAnswer) => {
  const { s, asked } = source(['a'], readAnswer);
  const fresh = await readOrList(s, p, candidates);
  expect(asked.at(-1)).toBe('list');
  expect([...fresh.keys]).toEqual(['a']);
});

test('a read that could not see everything is unsynced, and the re-check says so', async () => {
  const { s } = source([], () => ({
    keys: new Set(),
    synced: false,
    errors: ['reading Topology labs/lab-a: HTTP 403'],
  }));
  const fresh = await readOrList(s, p, [candidate('a')]);
  expect(fresh).toMatchObject({ synced: false, errors: ['reading Topology labs/lab-a: HTTP 403'] });
});
