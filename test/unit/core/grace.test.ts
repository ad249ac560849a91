import {
  GraceStateBuilder,
  firstSeenOrphaned,
  graceElapsed,
  graceStateFromRecord,
  graceStateToRecord,
} from '../../../src/core/grace.js';
import { MINUTE, NOW } from '../../support/builders.js';

describe('firstSeenOrphaned', () => {
  test.each<[string, Record<string, number>, number]>([
    ['first sight records now', {}, NOW],
    ['a recorded time is kept', { 'container:c1': NOW - 3 * MINUTE }, NOW - 3 * MINUTE],
    ['a recorded time of now', { 'container:c1': NOW }, NOW],
    ['a time in the future starts over', { 'container:c1': NOW + MINUTE }, NOW],
    ['NaN starts over', { 'container:c1': Number.NaN }, NOW],
    ['-Infinity starts over', { 'container:c1': -Infinity }, NOW],
    ["a network's entry of the same id does not count", { 'network:c1': NOW - 3 * MINUTE }, NOW],
    ["another resource's entry does not count", { 'container:c2': NOW - 3 * MINUTE }, NOW],
  ])('%s', (_name, state, expected) => {
    expect(firstSeenOrphaned(graceStateFromRecord(state), { kind: 'container', id: 'c1' }, NOW)).toBe(expected);
  });
});

test('grace elapses at exactly the grace period', () => {
  expect(graceElapsed(NOW - MINUTE, NOW, MINUTE)).toBe(true);
  expect(graceElapsed(NOW - MINUTE + 1, NOW, MINUTE)).toBe(false);
  expect(graceElapsed(NOW, NOW, 0)).toBe(true);
});

test('a string (a hand-edited state file) starts over', () => {
  const state = new Map([['container', new Map([['c1', '0' as unknown as number]])]] as const);
  expect(firstSeenOrphaned(state, { kind: 'container', id: 'c1' }, NOW)).toBe(NOW);
});

describe('grace state from and to `<kind>:<id>` records', () => {
  test('round-trips, ids with colons included (IPv6 leases)', () => {
    const record = { 'container:c1': 1, 'ipLease:net/fd00::2': 2, 'network:n1': 3, 'volume:v:1': 4 };
    expect(graceStateToRecord(graceStateFromRecord(record))).toEqual(record);
  });

  test('keys that name no kind, and times that are not numbers, are left out', () => {
    const state = graceStateFromRecord({ good: 5, 'pod:x': 1, ':x': 2, 'container:ok': 3, 'volume:bad': '7' });
    expect(graceStateToRecord(state)).toEqual({ 'container:ok': 3 });
  });

  test('the builder keys by the resource id it is given, per kind', () => {
    const builder = new GraceStateBuilder();
    builder.set({ kind: 'container', id: 'same' }, 1);
    builder.set({ kind: 'volume', id: 'same' }, 2);
    expect(builder.state.get('container')?.get('same')).toBe(1);
    expect(builder.state.get('volume')?.get('same')).toBe(2);
    expect(graceStateToRecord(builder.state)).toEqual({ 'container:same': 1, 'volume:same': 2 });
  });
});
