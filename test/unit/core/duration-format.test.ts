import { formatDuration } from '../../../src/core/duration-format.js';

test.each([
  [0, '0ms'],
  [999, '999ms'],
  [1000, '1s'],
  [60_000, '1m0s'],
  [5 * 60_000, '5m0s'],
  [3_723_000, '1h2m3s'],
  [3_600_000, '1h0m0s'],
  [59_999.6, '1m0s'],
  [-90_000, '-1m30s'],
  [Number.NaN, 'NaN'],
])('%s ms is %s', (ms, text) => {
  expect(formatDuration(ms)).toBe(text);
});
