import { resourceKey, withoutRemoved } from '../../../src/core/model.js';
import type { ItemOutcome } from '../../../src/core/outcome.js';
import { container, snapshot } from '../../support/builders.js';

test('resource keys join kind and id', () => {
  expect(resourceKey({ kind: 'network', id: 'abc' })).toBe('network:abc');
});

describe('the snapshot as a sweep left it', () => {
  const listed = snapshot([container('a', 'X'), container('b', 'X'), container('c', 'Y'), container('d', 'X')]);

  test.each<[string, Pick<ItemOutcome, 'key' | 'status'>[], string[]]>([
    ['nothing removed: the same snapshot', [], ['a', 'b', 'c', 'd']],
    [
      'reaped and already gone are left out; failed, skipped and would-reap stay',
      [
        { key: 'container:a', status: 'reaped' },
        { key: 'container:b', status: 'alreadyGone' },
        { key: 'container:c', status: 'failed' },
        { key: 'container:d', status: 'wouldReap' },
      ],
      ['c', 'd'],
    ],
    ['a key of another kind removes nothing', [{ key: 'network:a', status: 'reaped' }], ['a', 'b', 'c', 'd']],
  ])('%s', (_name, outcomes, ids) => {
    const after = withoutRemoved(listed, outcomes);
    expect(after.resources.map((r) => r.id)).toEqual(ids);
    expect(after.takenAt).toBe(listed.takenAt);
    expect(after.complete).toBe(true);
  });
});
