import fc from 'fast-check';
import { sortForExecution } from '../../../src/core/execution-order.js';
import type { RuntimeResource } from '../../../src/core/model.js';
import { resourceKey } from '../../../src/core/model.js';
import { MINUTE, NOW, container, lease, network, volume } from '../../support/builders.js';

test('kinds in execution order, oldest first, ties by id, unknown times last', () => {
  const sorted = sortForExecution([
    volume('v1'),
    network('n1'),
    lease('10.0.0.2', 'c1'),
    container('c3', undefined, { createdAt: Number.NaN }),
    container('c2', undefined, { createdAt: NOW - 1000 }),
    container('cb', undefined, { createdAt: NOW - 5000 }),
    container('ca', undefined, { createdAt: NOW - 5000 }),
  ]);
  expect(sorted.map(resourceKey)).toEqual([
    'container:ca',
    'container:cb',
    'container:c2',
    'container:c3',
    'ipLease:labnet/10.0.0.2',
    'network:n1',
    'volume:v1',
  ]);
});

test('the input is not reordered', () => {
  const input = [volume('v1'), container('c1')];
  sortForExecution(input);
  expect(input.map(resourceKey)).toEqual(['volume:v1', 'container:c1']);
});

describe('sortForExecution agrees with a plain sort by the documented order', () => {
  // The rule restated without the fast path: kind in execution order (unknown kinds last), then
  // creation time with unknown times as the newest, then id; equal resources keep their order.
  const kindRank = (kind: string) => {
    const rank = ['container', 'ipLease', 'network', 'volume'].indexOf(kind);
    return rank === -1 ? 4 : rank;
  };
  const time = (createdAt: number) => (Number.isFinite(createdAt) ? createdAt : Number.POSITIVE_INFINITY);
  const reference = (resources: readonly RuntimeResource[]) =>
    resources
      .map((resource, index) => ({ resource, index }))
      .sort(
        (a, b) =>
          kindRank(a.resource.kind) - kindRank(b.resource.kind) ||
          Math.sign(time(a.resource.createdAt) - time(b.resource.createdAt)) ||
          (a.resource.id < b.resource.id ? -1 : a.resource.id > b.resource.id ? 1 : 0) ||
          a.index - b.index,
      )
      .map(({ resource }) => resource);

  // Few distinct times and ids, so that ties on time and on both come up often.
  const createdAt = fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 5 }).map((minutes) => NOW - minutes * MINUTE), weight: 6 },
    { arbitrary: fc.double({ noDefaultInfinity: false }), weight: 2 },
    {
      arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 0.5),
      weight: 2,
    },
  );
  const resource = fc
    .record({
      kind: fc.constantFrom('container', 'ipLease', 'network', 'volume', 'futureKind'),
      id: fc.oneof(fc.constantFrom('a', 'b', 'B', 'a0', ''), fc.string()),
      createdAt,
      marker: fc.nat(),
    })
    .map(({ kind, id, createdAt: time, marker }) => {
      const base = { ...volume(id), name: `r${marker}`, createdAt: time };
      return { ...base, kind } as unknown as RuntimeResource;
    });

  test('on random resources', () => {
    fc.assert(
      fc.property(fc.array(resource, { maxLength: 60 }), (resources) => {
        const sorted = sortForExecution(resources);
        const expected = reference(resources);
        expect(sorted.length).toBe(expected.length);
        sorted.forEach((item, index) => expect(item).toBe(expected[index]));
      }),
      { numRuns: 500 },
    );
  });
});
