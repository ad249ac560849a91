// Which claimed keys an owner kind could have: uid keys are RFC 4122 uids, name keys `namespace/name`
// or `name` in DNS-1123 characters, field keys anything well-formed; with a prefix rule, the first
// keyPrefixLength characters are judged the way LiveKeyIndex compares them.
import { ownerKeyShapes } from '../../../src/core/owner-key-shape.js';
import type { MatchRule, OwnerKeyRule, OwnerKind } from '../../../src/core/policy.js';
import { nameRule } from '../../support/builders.js';

const labelRule: MatchRule = { type: 'label', label: 'reaper.dev/owner-uid' };
const prefix = (length: number) => nameRule('(?<key>.+)', length);
const owner = (kind: string, key: OwnerKeyRule): OwnerKind => ({
  apiVersion: 'reaper.dev/v1alpha1',
  kind,
  namespaces: [],
  key,
});
const byUid = [owner('Topology', { type: 'uid' })];
const byName = [owner('Topology', { type: 'name' })];
const byField = [owner('Topology', { type: 'field', path: ['spec', 'labId'] })];
const UID = '1b2c3d4e-0000-1111-2222-333344445555';

describe('uid owners, whole keys', () => {
  test.each([
    ['a uid', UID, true],
    ['a uid in capitals (never a live key)', UID.toUpperCase(), false],
    ['mixed case', '1B2c3D4e-0000-1111-2222-333344445555', false],
    ['not-a-uid', 'not-a-uid', false],
    ['a space', ' ', false],
    ['a uid and a space', `${UID} `, false],
    ['a space and a uid', ` ${UID}`, false],
    ['a uid and a newline', `${UID}\n`, false],
    ['a uid twice', UID.repeat(2), false],
    ['without dashes', UID.replaceAll('-', ''), false],
    ['in braces', `{${UID}}`, false],
    ['a non-hex letter', `g${UID.slice(1)}`, false],
    ['a dash out of place', '1b2c3d4-e0000-1111-2222-333344445555', false],
    ['one character short', UID.slice(0, -1), false],
    ['one character long', `${UID}0`, false],
    ['the first eight', UID.slice(0, 8), false],
    ['fullwidth digits', '１b2c3d4e-0000-1111-2222-333344445555', false],
    ['namespace/name', 'labs/t1', false],
  ])('%s: %j', (_name, key, expected) => {
    expect(ownerKeyShapes(byUid).accepts(key, labelRule)).toBe(expected);
    // A name rule without a prefix length judges whole keys too.
    expect(ownerKeyShapes(byUid).accepts(key, nameRule('(?<key>.+)'))).toBe(expected);
  });
});

describe('uid owners, prefix rules: the first L characters must be the start of a uid', () => {
  test.each<[string, string, number, boolean]>([
    ['eight hex digits, L=8', '1b2c3d4e', 8, true],
    ['eight hex digits in capitals, L=8', '1B2C3D4E', 8, false],
    ['longer than L: only the first L count', '1b2c3d4e_anything', 8, true],
    ['up to the first dash, L=9', '1b2c3d4e-', 9, true],
    ['past the first dash, L=12', '1b2c3d4e-000', 12, true],
    ['a whole uid, L=36', UID, 36, true],
    ['a whole uid, L=40: owner keys shorter than L count whole', UID, 40, true],
    ['one hex digit, L=1', 'f', 1, true],
    ['a dash where a digit goes, L=8', '1b2c-3d4', 8, false],
    ['no dash where one goes, L=9', '1b2c3d4e0', 9, false],
    ['non-hex, L=8', 'zzzzzzzz', 8, false],
    ['shorter than L: no uid is that short', '1b2c', 8, false],
    ['more than a uid, L=40', `${UID}abcd`, 40, false],
    ['a space, L=1', ' ', 1, false],
  ])('%s', (_name, key, length, expected) => {
    expect(ownerKeyShapes(byUid).accepts(key, prefix(length))).toBe(expected);
  });
});

describe('name owners, whole keys', () => {
  test.each([
    ['namespace/name', 'labs/t1', true],
    ['cluster-scoped name', 't1', true],
    ['dots and dashes in the name', 'labs/t-1.web.example', true],
    ['a digit first', 'labs/1t', true],
    ['a 63-character namespace', `${'n'.repeat(63)}/t1`, true],
    ['a 64-character namespace', `${'n'.repeat(64)}/t1`, false],
    ['a 253-character name', 'n'.repeat(253), true],
    ['a 254-character name', 'n'.repeat(254), false],
    ['a namespace with a dot', 'la.bs/t1', false],
    ['capitals', 'Labs/t1', false],
    ['an underscore', 'labs/t_1', false],
    ['a space', ' ', false],
    ['a leading dash', 'labs/-t1', false],
    ['a trailing dash', 'labs/t1-', false],
    ['a trailing dot', 'labs/t1.', false],
    ['two dots', 'labs/t..1', false],
    ['an empty namespace', '/t1', false],
    ['an empty name', 'labs/', false],
    ['two slashes', 'labs/t1/x', false],
    ['not-a-uid, which is a fine name', 'not-a-uid', true],
    ['a uid, which is a fine name', UID, true],
  ])('%s: %j', (_name, key, expected) => {
    expect(ownerKeyShapes(byName).accepts(key, labelRule)).toBe(expected);
  });
});

describe('name owners, prefix rules: the first L characters must be the start of a name key', () => {
  test.each<[string, string, number, boolean]>([
    ['a whole name shorter than L', 'labs/t1', 20, true],
    ['the start of a namespace', 'lab', 3, true],
    ['ends at the slash', 'labs/', 5, true],
    ['ends on a dash', 'labs/t-', 7, true],
    ['ends on a dot', 'labs/t.', 7, true],
    ['capitals', 'LABS', 4, false],
    ['an underscore', 'lab_', 4, false],
    ['ends on a slash, but shorter than L', 'labs/', 8, false],
    ['a leading dash', '-lab', 4, false],
  ])('%s', (_name, key, length, expected) => {
    expect(ownerKeyShapes(byName).accepts(key, prefix(length))).toBe(expected);
  });
});

describe('owner kinds together', () => {
  const keys = [UID, 'labs/t1', 'not-a-uid', ' ', 'Labs/T1', '!'];

  test('field owners take every well-formed key, whatever the other kinds', () => {
    const shapes = ownerKeyShapes([...byUid, owner('Sandbox', { type: 'field', path: ['spec', 'id'] })]);
    for (const key of keys) expect(shapes.accepts(key, labelRule)).toBe(true);
    expect(ownerKeyShapes(byField).accepts(' ', prefix(3))).toBe(true);
  });

  test('uid and name owners: a key of either shape', () => {
    const shapes = ownerKeyShapes([...byUid, owner('Sandbox', { type: 'name' })]);
    expect(keys.map((key) => shapes.accepts(key, labelRule))).toEqual([true, true, true, false, false, false]);
  });

  test('no owner kinds: no key', () => {
    expect(keys.map((key) => ownerKeyShapes([]).accepts(key, labelRule))).toEqual(keys.map(() => false));
  });

  test('built once per owners list', () => {
    const owners = [...byUid];
    expect(ownerKeyShapes(owners)).toBe(ownerKeyShapes(owners));
    expect(ownerKeyShapes([...owners])).not.toBe(ownerKeyShapes(owners));
  });
});
