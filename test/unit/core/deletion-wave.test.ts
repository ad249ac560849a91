import type { DeletionWave, OwnerDeletion } from '../../../src/core/deletion-wave.js';
import {
  findDeletionWaves,
  holdWaves,
  isMassDeletion,
  ownerPercent,
  settlingOwners,
} from '../../../src/core/deletion-wave.js';

const limits = { maxOrphanPercent: 50, minOwnersToBlock: 10, massDeletionWindowMs: 10_000 };
const deleted = (prefix: string, n: number, start: number, stepMs: number): OwnerDeletion[] =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}${String(i).padStart(4, '0')}`, at: start + i * stepMs }));

describe('isMassDeletion', () => {
  test.each([
    [1, 0, false],
    [1, 1, false],
    [9, 0, false],
    [10, 0, true],
    [10, 10, false],
    [10, 9, true],
    [800, 200, true],
    [800, 1000, false],
  ])('%i gone against %i live: %s', (gone, live, mass) => {
    expect(isMassDeletion(gone, live, limits)).toBe(mass);
  });

  test('ownerPercent of nothing is 0', () => {
    expect(ownerPercent(0, 0)).toBe(0);
    expect(ownerPercent(1, 3)).toBe(25);
  });
});

describe('findDeletionWaves', () => {
  test('a namespace of 800 owners deleted within a second is one wave', () => {
    const waves = findDeletionWaves(deleted('ns/lab-', 800, 1_000, 1), 200, limits);
    expect(waves).toHaveLength(1);
    expect(waves[0]!.keys).toHaveLength(800);
    expect(waves[0]).toMatchObject({ firstAt: 1_000, lastAt: 1_799 });
  });

  test('a hundred thousand deletions in one window are one wave, found in linear time', () => {
    const waves = findDeletionWaves(deleted('ns/lab-', 100_000, 0, 0.05), 10, limits);
    expect(waves).toHaveLength(1);
    expect(waves[0]!.keys).toHaveLength(100_000);
  });

  test('the same deletions seen in another order, or twice, make the same wave', () => {
    const log = deleted('ns/lab-', 50, 0, 100);
    const shuffled = [...log].reverse().concat(log.slice(0, 5));
    expect(findDeletionWaves(shuffled, 10, limits)).toEqual(findDeletionWaves(log, 10, limits));
  });

  test.each<[string, OwnerDeletion[], number, number]>([
    ['owners deleted one at a time, 2 s apart (churn)', deleted('c-', 60, 0, 2_000), 20, 0],
    ['a lab of one deleted', deleted('only-', 1, 0, 0), 0, 0],
    ['nine of nine deleted at once', deleted('lab-', 9, 0, 10), 0, 0],
    ['ten of twenty deleted at once (50%, not more)', deleted('lab-', 10, 0, 10), 10, 0],
    ['ten of nineteen deleted at once', deleted('lab-', 10, 0, 10), 9, 1],
    ['two bursts a minute apart', [...deleted('a-', 20, 0, 10), ...deleted('b-', 20, 60_000, 10)], 5, 2],
  ])('%s', (_name, log, live, waves) => {
    expect(findDeletionWaves(log, live, limits)).toHaveLength(waves);
  });

  test('churn around a burst stays out of it', () => {
    const churn = deleted('churn-', 10, 0, 30_000); // one every 30 s, from 0 to 270 s
    const burst = deleted('burst-', 20, 100_000, 5);
    const [wave, ...rest] = findDeletionWaves([...churn, ...burst], 5, limits);
    expect(rest).toHaveLength(0);
    // churn-0003 (90 s) and churn-0004 (120 s) are more than 10 s from the burst (100 s to 100.1 s).
    expect(wave!.keys.every((key) => key.startsWith('burst-'))).toBe(true);
  });
});

describe('holdWaves', () => {
  const wave = (keys: string[], firstAt: number, lastAt: number): DeletionWave => ({
    keys: [...keys].sort(),
    firstAt,
    lastAt,
  });

  test('a wave found further along joins the one held: the approval needed names the whole set', () => {
    const held = [wave(['a', 'b'], 0, 1_000)];
    const found = [wave(['a', 'b', 'c'], 0, 2_000)];
    expect(holdWaves({ held, found, windowMs: 10_000, now: 2_000 })).toEqual([wave(['a', 'b', 'c'], 0, 2_000)]);
  });

  test('a wave held stays held when it would no longer be found (new owners, deletions aged out)', () => {
    const held = [wave(['a', 'b'], 0, 1_000)];
    expect(holdWaves({ held, found: [], windowMs: 10_000, now: 3_600_000, orphanOwnerKeys: new Set(['b']) })).toEqual(
      held,
    );
  });

  test('a closed wave this node has no orphan of is let go; an open one is kept', () => {
    const held = [wave(['a'], 0, 1_000), wave(['z'], 50_000, 55_000)];
    expect(holdWaves({ held, found: [], windowMs: 10_000, now: 60_000, orphanOwnerKeys: new Set() })).toEqual([
      held[1],
    ]);
  });

  test('unrelated waves are held apart', () => {
    const held = [wave(['a'], 0, 1_000)];
    const found = [wave(['q'], 100_000, 100_500)];
    expect(holdWaves({ held, found, windowMs: 10_000, now: 100_500 })).toHaveLength(2);
  });
});

describe('settlingOwners', () => {
  test('a burst still arriving: its owners wait, the earlier ones chained to it included', () => {
    const burst = deleted('ns/lab-', 300, 0, 5); // 300 deletions over 1.5 s, still arriving at 2 s
    expect(settlingOwners(burst, 2_000, limits).size).toBe(300);
  });

  test('once the window has passed since the last deletion, nothing settles: the wave is judged', () => {
    expect(settlingOwners(deleted('ns/lab-', 300, 0, 5), 1_495 + 10_001, limits).size).toBe(0);
  });

  test.each<[string, OwnerDeletion[], number]>([
    ['one deletion', deleted('a-', 1, 0, 0), 0],
    ['nine at once (below minOwnersToBlock)', deleted('a-', 9, 0, 1), 0],
    ['churn: one every 2 s for two minutes', deleted('c-', 60, 0, 2_000), 0],
  ])('%s never waits', (_name, log, settling) => {
    const last = Math.max(...log.map((d) => d.at));
    expect(settlingOwners(log, last + 500, limits).size).toBe(settling);
  });

  test('deletions that never stop hold no owner longer than three windows after its deletion', () => {
    const busy = deleted('busy-', 600, 0, 500); // two a second for five minutes, still going
    const now = 300_000;
    const keys = settlingOwners(busy, now, limits);
    expect(keys.size).toBeGreaterThan(0);
    const at = new Map(busy.map((d) => [d.key, d.at]));
    expect([...keys].every((key) => now - at.get(key)! <= 30_000)).toBe(true);
    // And what is judged is a wave only if it is a mass deletion against the live owners.
    expect(findDeletionWaves(busy, 5_000, limits)).toEqual([]);
  });

  test('an older burst, more than a window before this one, is not part of it', () => {
    const log = [...deleted('old-', 20, 0, 1), ...deleted('new-', 20, 60_000, 1)];
    const keys = settlingOwners(log, 60_100, limits);
    expect([...keys].every((key) => key.startsWith('new-'))).toBe(true);
    expect(keys.size).toBe(20);
  });
});
