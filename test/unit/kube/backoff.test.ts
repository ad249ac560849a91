import { backoffDelay, jittered } from '../../../src/kube/backoff.js';

describe('jittered', () => {
  test.each([
    // [period, fraction, random draw, expected]
    [300_000, 0.1, 0, 300_000],
    [300_000, 0.1, 0.5, 285_000],
    [300_000, 0.1, 0.999, 270_030],
    [10_000, 0, 0.7, 10_000],
    // A fraction outside 0..1 is clamped: never a negative or longer period.
    [10_000, 2, 0.5, 5_000],
    [10_000, -1, 0.5, 10_000],
  ])('%i ms with %d jitter and draw %d is %i ms', (period, fraction, draw, expected) => {
    expect(jittered(period, fraction, () => draw)).toBe(expected);
  });

  test('a fleet started together spreads over the last tenth of the interval', () => {
    const periods = Array.from({ length: 1_000 }, () => jittered(300_000, 0.1));
    expect(Math.min(...periods)).toBeGreaterThanOrEqual(270_000);
    expect(Math.max(...periods)).toBeLessThanOrEqual(300_000);
    expect(new Set(periods).size).toBeGreaterThan(900);
  });
});

test('backoffDelay doubles up to its cap', () => {
  const options = { baseMs: 100, maxMs: 1_000 };
  expect([0, 1, 2, 3, 4].map((attempt) => backoffDelay(attempt, options))).toEqual([100, 200, 400, 800, 1_000]);
});
