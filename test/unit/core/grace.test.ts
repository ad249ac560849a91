import { firstSeenOrphaned, graceElapsed } from '../../../src/core/grace.js';
import type { GraceState } from '../../../src/core/model.js';
import { MINUTE, NOW } from '../../support/builders.js';

describe('firstSeenOrphaned', () => {
  test.each<[string, GraceState, number]>([
    ['first sight records now', {}, NOW],
    ['a recorded time is kept', { 'container:c1': NOW - 3 * MINUTE }, NOW - 3 * MINUTE],
    ['a recorded time of now', { 'container:c1': NOW }, NOW],
    ['a time in the future starts over', { 'container:c1': NOW + MINUTE }, NOW],
    ['NaN starts over', { 'container:c1': Number.NaN }, NOW],
    ['-Infinity starts over', { 'container:c1': -Infinity }, NOW],
    ['a string (a hand-edited state file) starts over', { 'container:c1': '0' as unknown as number }, NOW],
    ["another resource's entry does not count", { 'container:c2': NOW - 3 * MINUTE }, NOW],
  ])('%s', (_name, state, expected) => {
    expect(firstSeenOrphaned(state, 'container:c1', NOW)).toBe(expected);
  });
});

test('grace elapses at exactly the grace period', () => {
  expect(graceElapsed(NOW - MINUTE, NOW, MINUTE)).toBe(true);
  expect(graceElapsed(NOW - MINUTE + 1, NOW, MINUTE)).toBe(false);
  expect(graceElapsed(NOW, NOW, 0)).toBe(true);
});
