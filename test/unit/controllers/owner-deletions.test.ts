import { DELETION_RETENTION_MS, OwnerDeletionLog } from '../../../controllers/owner-deletions.js';
import { findDeletionWaves } from '../../../src/core/deletion-wave.js';
import { policy } from '../../support/builders.js';

// The fixture policy keys Topologies by .spec.labId: an owner object with labId A has key A.
const lab = (labId: string | undefined) => ({
  apiVersion: 'reaper.dev/v1alpha1',
  kind: 'Topology',
  metadata: { name: `lab-${labId ?? 'none'}`, namespace: 'labs', uid: `uid-${labId ?? 'none'}` },
  spec: labId === undefined ? {} : { labId },
});

function world() {
  const p = policy();
  const w = { clock: 1_000_000, managing: [{ policy: p, ownerKind: p.owners[0]! }] };
  const log = new OwnerDeletionLog(() => w.clock);
  return { ...w, log, set: (t: number) => (w.clock = t) };
}

test('records each deleted owner by its key, once, as of its last deletion', () => {
  const w = world();
  w.log.ownerDeleted(lab('A'), w.managing);
  w.set(1_000_500);
  w.log.ownerDeleted(lab('B'), w.managing);
  w.set(1_001_000);
  w.log.ownerDeleted(lab('A'), w.managing);
  expect(w.log.recent('default')).toEqual([
    { key: 'B', at: 1_000_500 },
    { key: 'A', at: 1_001_000 },
  ]);
  expect(w.log.recent('other')).toEqual([]);
});

test('an owner without a key claims nothing and is not recorded', () => {
  const w = world();
  w.log.ownerDeleted(lab(undefined), w.managing);
  expect(w.log.recent('default')).toEqual([]);
});

test('deletions older than the retention are dropped; a forgotten policy keeps nothing', () => {
  const w = world();
  w.log.ownerDeleted(lab('old'), w.managing);
  w.set(1_000_000 + DELETION_RETENTION_MS / 2);
  w.log.ownerDeleted(lab('new'), w.managing);
  w.set(1_000_001 + DELETION_RETENTION_MS);
  expect(w.log.recent('default').map((d) => d.key)).toEqual(['new']);
  w.log.forget('default');
  expect(w.log.recent('default')).toEqual([]);
});

test('two agents that saw the same deletions find the same wave', () => {
  const [a, b] = [world(), world()];
  const names = Array.from({ length: 30 }, (_, i) => `lab-${i}`);
  for (const name of names) a.log.ownerDeleted(lab(name), a.managing);
  // B saw them a little later and in another order.
  b.set(1_000_250);
  for (const name of [...names].reverse()) b.log.ownerDeleted(lab(name), b.managing);
  const limits = policy().limits;
  const [waveA] = findDeletionWaves(a.log.recent('default'), 10, limits);
  const [waveB] = findDeletionWaves(b.log.recent('default'), 10, limits);
  expect(waveA?.keys).toEqual([...names].sort());
  expect(waveB?.keys).toEqual(waveA?.keys);
});

test('remembers where an owner keyed by uid was, for the re-check; a field key is no object of its own', () => {
  const w = world();
  const byUid = policy({ owners: [{ ...policy().owners[0]!, key: { type: 'uid' } }] });
  const managing = [...w.managing, { policy: { ...byUid, name: 'by-uid' }, ownerKind: byUid.owners[0]! }];
  w.log.ownerDeleted(lab('A'), managing);
  expect(w.log.seen('by-uid', 'uid-A')).toEqual({ owner: byUid.owners[0], namespace: 'labs', name: 'lab-A' });
  expect(w.log.seen('default', 'A')).toBeUndefined();
  w.log.forget('by-uid');
  expect(w.log.seen('by-uid', 'uid-A')).toBeUndefined();
});
