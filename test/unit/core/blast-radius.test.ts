import type { GuardInput } from '../../../src/core/blast-radius.js';
import { approvalIdFor, blastRadiusBlock } from '../../../src/core/blast-radius.js';
import type { DeletionWave } from '../../../src/core/deletion-wave.js';
import { policy } from '../../support/builders.js';

describe('approvalIdFor', () => {
  test('depends on the set, not the order', () => {
    expect(approvalIdFor('p', ['a', 'b'])).toBe(approvalIdFor('p', ['b', 'a']));
  });

  test('differs for another set or another policy', () => {
    const id = approvalIdFor('p', ['a', 'b']);
    expect(approvalIdFor('p', ['a'])).not.toBe(id);
    expect(approvalIdFor('p', ['a', 'b', 'c'])).not.toBe(id);
    expect(approvalIdFor('q', ['a', 'b'])).not.toBe(id);
  });

  test('is short and fits a Kubernetes annotation value', () => {
    expect(approvalIdFor('p', ['a'])).toMatch(/^b-[0-9a-f]{12}$/);
  });
});

const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const wave = (owners: string[]): DeletionWave => ({ keys: [...owners].sort(), firstAt: 0, lastAt: 0 });

describe('blastRadiusBlock judges owners, fleet-wide', () => {
  const p = policy(); // maxOrphanPercent 50, minOwnersToBlock 10
  const doomed = keys('doomed-', 800);
  const input = (over: Partial<GuardInput>): GuardInput => ({
    policy: p,
    liveOwners: 0,
    waves: [],
    candidateOwnerKeys: new Set(),
    candidates: 1,
    ...over,
  });

  test.each<[string, Partial<GuardInput>, boolean]>([
    ['the only owner there was, deleted', { liveOwners: 0, candidateOwnerKeys: new Set(['a']) }, false],
    ['one of two owners deleted', { liveOwners: 1, candidateOwnerKeys: new Set(['a']) }, false],
    ['nine owners gone, none live (below minOwnersToBlock)', { candidateOwnerKeys: new Set(keys('x', 9)) }, false],
    ['ten owners gone, none live', { candidateOwnerKeys: new Set(keys('x', 10)) }, true],
    ['ten owners gone, ten live (exactly 50%)', { liveOwners: 10, candidateOwnerKeys: new Set(keys('x', 10)) }, false],
    ['ten owners gone, nine live', { liveOwners: 9, candidateOwnerKeys: new Set(keys('x', 10)) }, true],
    [
      'one owner of an 800-owner wave on this node: the wave decides, not the node',
      { liveOwners: 200, waves: [wave(doomed)], candidateOwnerKeys: new Set(['doomed-7']) },
      true,
    ],
    [
      'a wave this sweep has nothing of does not hold it',
      { liveOwners: 200, waves: [wave(doomed)], candidateOwnerKeys: new Set(['elsewhere']) },
      false,
    ],
    ['nothing to reap', { liveOwners: 0, waves: [wave(doomed)], candidateOwnerKeys: new Set() }, false],
  ])('%s', (_name, over, blocked) => {
    expect(blastRadiusBlock(input(over)) !== undefined).toBe(blocked);
  });

  test('a wave gets the same approval id whichever of its owners a node holds', () => {
    const onA = blastRadiusBlock(
      input({ liveOwners: 200, waves: [wave(doomed)], candidateOwnerKeys: new Set(['doomed-1']) }),
    );
    const onB = blastRadiusBlock(
      input({ liveOwners: 200, waves: [wave(doomed)], candidateOwnerKeys: new Set(['doomed-5', 'doomed-9']) }),
    );
    expect(onA?.approvalId).toBe(approvalIdFor(p.name, doomed));
    expect(onB?.approvalId).toBe(onA?.approvalId);
    expect(onA).toMatchObject({ cause: 'MassDeletion', owners: 800, liveOwners: 200, ownerPercent: 80, held: 1 });
    expect(onA!.description).toBe(
      '800 owners were deleted at once, 80.0% of the 1000 there were (> maxOrphanPercent 50, at least minOwnersToBlock 10); ' +
        `1 removals held; approve exactly this set with reaper.dev/approve-sweep=${onA!.approvalId}`,
    );
  });

  test('approving the wave releases it; approving another set does not', () => {
    const over = { liveOwners: 200, waves: [wave(doomed)], candidateOwnerKeys: new Set(['doomed-1']) };
    const approved = { ...p, approvedSweep: approvalIdFor(p.name, doomed) };
    expect(blastRadiusBlock(input({ ...over, policy: approved }))).toBeUndefined();
    const other = { ...p, approvedSweep: approvalIdFor(p.name, doomed.slice(1)) };
    expect(blastRadiusBlock(input({ ...over, policy: other }))).toBeDefined();
  });

  test('a wave recalled after a restart blocks as it was judged, and its approval releases it', () => {
    const id = approvalIdFor(p.name, doomed);
    // After a restart the node knows only its own owners of the wave, and what the wave was.
    const recalled: DeletionWave = { ...wave(['doomed-7']), recalled: { owners: 800, approvalId: id } };
    const over = { liveOwners: 200, waves: [recalled], candidateOwnerKeys: new Set(['doomed-7']) };
    expect(blastRadiusBlock(input(over))).toMatchObject({ cause: 'MassDeletion', approvalId: id, owners: 800 });
    expect(blastRadiusBlock(input({ ...over, policy: { ...p, approvedSweep: id } }))).toBeUndefined();
  });

  test('owners no wave accounts for are judged by themselves, with an id of their own', () => {
    const stragglers = keys('straggler-', 12);
    const block = blastRadiusBlock(
      input({ liveOwners: 5, waves: [wave(['other'])], candidateOwnerKeys: new Set(stragglers) }),
    );
    expect(block).toMatchObject({ cause: 'TooManyOwners', owners: 12, approvalId: approvalIdFor(p.name, stragglers) });
    // Owners of an approved wave are not counted again among them.
    const inWave = blastRadiusBlock(
      input({
        policy: { ...p, approvedSweep: approvalIdFor(p.name, doomed) },
        liveOwners: 5,
        waves: [wave(doomed)],
        candidateOwnerKeys: new Set([...doomed.slice(0, 20), 'straggler-1']),
      }),
    );
    expect(inWave).toBeUndefined();
  });

  test('minOwnersToBlock and maxOrphanPercent are the policy’s', () => {
    const strict = policy({ limits: { minOwnersToBlock: 1, maxOrphanPercent: 40 } });
    expect(
      blastRadiusBlock(input({ policy: strict, liveOwners: 1, candidateOwnerKeys: new Set(['a']) })),
    ).toBeDefined();
    const open = policy({ limits: { maxOrphanPercent: 100 } });
    expect(blastRadiusBlock(input({ policy: open, candidateOwnerKeys: new Set(keys('x', 50)) }))).toBeUndefined();
  });
});
