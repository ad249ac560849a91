import { approvalIdFor, blastRadiusBlock, orphanPercentOf } from '../../../src/core/blast-radius.js';
import { policy } from './fixtures.js';

describe('approvalIdFor', () => {
  test('depends on the set, not the order', () => {
    expect(approvalIdFor('p', ['container:a', 'volume:b'])).toBe(approvalIdFor('p', ['volume:b', 'container:a']));
  });

  test('differs for another set or another policy', () => {
    const id = approvalIdFor('p', ['container:a', 'volume:b']);
    expect(approvalIdFor('p', ['container:a'])).not.toBe(id);
    expect(approvalIdFor('p', ['container:a', 'volume:b', 'volume:c'])).not.toBe(id);
    expect(approvalIdFor('q', ['container:a', 'volume:b'])).not.toBe(id);
  });

  test('is short and fits a Kubernetes annotation value', () => {
    expect(approvalIdFor('p', ['container:a'])).toMatch(/^b-[0-9a-f]{12}$/);
  });
});

describe('blastRadiusBlock', () => {
  const p = policy(); // maxOrphanPercent 50
  const keys = ['container:a', 'container:b'];

  test.each([
    ['above the limit', 3, 5, keys, true],
    ['exactly at the limit', 2, 4, keys, false],
    ['below the limit', 1, 4, keys, false],
    ['nothing to hold', 5, 5, [], false],
    ['nothing attributable', 0, 0, keys, false],
  ])('%s', (_name, orphaned, attributable, candidateKeys, blocked) => {
    const block = blastRadiusBlock({ policy: p, orphaned, attributable, candidateKeys });
    expect(block !== undefined).toBe(blocked);
  });

  test('says what it held and how to approve exactly that', () => {
    const block = blastRadiusBlock({ policy: p, orphaned: 3, attributable: 4, candidateKeys: keys })!;
    expect(block).toMatchObject({ orphaned: 3, attributable: 4, orphanPercent: 75, maxOrphanPercent: 50, held: 2 });
    expect(block.approvalId).toBe(approvalIdFor(p.name, keys));
    expect(block.description).toBe(
      `3 of 4 attributable unprotected resources are orphans (75.0% > maxOrphanPercent 50); 2 removals held; approve exactly this set with reaper.dev/approve-sweep=${block.approvalId}`,
    );
  });

  test('an approval of this set lets it through; an approval of another set does not', () => {
    const id = approvalIdFor(p.name, keys);
    const input = { orphaned: 3, attributable: 4, candidateKeys: keys };
    expect(blastRadiusBlock({ ...input, policy: { ...p, approvedSweep: id } })).toBeUndefined();
    expect(blastRadiusBlock({ ...input, policy: { ...p, approvedSweep: approvalIdFor(p.name, ['x']) } })).toBeDefined();
  });

  test('orphanPercentOf', () => {
    expect(orphanPercentOf(0, 0)).toBe(0);
    expect(orphanPercentOf(1, 3)).toBeCloseTo(33.333, 2);
    expect(orphanPercentOf(4, 4)).toBe(100);
  });
});
