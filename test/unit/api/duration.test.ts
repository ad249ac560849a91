import { DURATION_PATTERN, MAX_DURATION, durationSchema, parseDuration } from '../../../src/api/duration.js';
import type { CelRule } from '../../../src/api/schema-helpers.js';

test.each([
  ['0', 0],
  ['0s', 0],
  ['250ms', 250],
  ['90s', 90_000],
  ['5m', 300_000],
  ['1h30m', 5_400_000],
  ['1.5h', 5_400_000],
  ['0.1s', 100],
  ['1h1s1ms', 3_601_001],
  // Go accepts units in any order and repeated; so does the API server's CEL duration().
  ['1s1h', 3_601_000],
  [MAX_DURATION, 87_600 * 3_600_000],
])('%s is %d ms', (text, ms) => {
  expect(parseDuration(text)).toBe(ms);
});

test.each(['', '5', '5x', '-1m', '+1m', '1 m', '1M', '1d', '1us', '1ns', '.5s', '1.s', ' 1m', `${'1'.repeat(32)}s`])(
  '%j is not a duration',
  (text) => {
    expect(parseDuration(text)).toBeUndefined();
  },
);

test('the pattern is the same one the CRD enforces', () => {
  const schema = durationSchema('d.', '5m');
  expect(schema).toMatchObject({ type: 'string', pattern: DURATION_PATTERN, default: '5m', maxLength: 32 });
});

test.each([
  ['5m', undefined, true],
  ['87600h', undefined, true],
  ['87600h1ms', undefined, 'must be at most 87600h (10 years)'],
  ['0', '1s', 'must be at least 1s'],
  ['999ms', '1s', 'must be at least 1s'],
  ['1s', '1s', true],
  // Rules hold on values the pattern rejects: the pattern reports those, once.
  ['5x', '1s', true],
  [5, '1s', true],
])('bounds of %j (min %s): %s', (value, min, expected) => {
  const rules = durationSchema('d.', '5m', min)['x-kubernetes-validations'] as CelRule[];
  const failed = rules.filter((r) => r.check(value) !== true).map((r) => r.message);
  expect(failed).toEqual(expected === true ? [] : [expected]);
});

test('every bound rule is guarded by the pattern in CEL too', () => {
  const rules = durationSchema('d.', '5m', '1s')['x-kubernetes-validations'] as CelRule[];
  for (const rule of rules) expect(rule.rule.startsWith(`!self.matches(r'${DURATION_PATTERN}') || `)).toBe(true);
});
