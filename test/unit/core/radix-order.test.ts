import fc from 'fast-check';
import { orderByKey, orderByNumber } from '../../../src/core/radix-order.js';

/** What the radix sorts must agree with: a comparison sort of the indexes, ties in index order. */
function referenceOrder(count: number, compare: (a: number, b: number) => number): number[] {
  return Array.from({ length: count }, (_, index) => index).sort((a, b) => compare(a, b) || a - b);
}

describe('orderByNumber', () => {
  // NaN and -0 are the callers' to normalise; everything else a double can be, with repeats.
  const value = fc.oneof(
    fc.double({ noNaN: true }).map((x) => x || 0),
    fc.integer({ min: -5, max: 5 }),
    fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MIN_VALUE, -Number.MIN_VALUE),
    fc.integer({ min: 0, max: 7_200_000 }).map((ms) => Date.UTC(2026, 0, 1) - ms),
  );

  test('orders like a comparison sort, stable', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 80 }), (values) => {
        const order = orderByNumber(Float64Array.from(values));
        expect([...order]).toEqual(referenceOrder(values.length, (a, b) => values[a]! - values[b]!));
      }),
      { numRuns: 1000 },
    );
  });

  test('whole numbers (sorted as offsets from the least when close enough) order the same way', () => {
    const whole = fc.oneof(
      fc.integer({ min: -5, max: 5 }),
      fc.integer({ min: 0, max: 7_200_000 }).map((ms) => Date.UTC(2026, 0, 1) - ms),
      fc.constantFrom(2 ** 32, 2 ** 32 + 1, -(2 ** 32), 2 ** 60, 2 ** 60 + 256, Number.MAX_SAFE_INTEGER),
    );
    fc.assert(
      fc.property(fc.array(whole, { maxLength: 80 }), (values) => {
        const order = orderByNumber(Float64Array.from(values));
        expect([...order]).toEqual(referenceOrder(values.length, (a, b) => values[a]! - values[b]!));
      }),
      { numRuns: 1000 },
    );
  });

  test('a few known values', () => {
    const values = [3, -1, Number.POSITIVE_INFINITY, 0, -Number.MAX_VALUE, 3, 2 ** 40 + 0.5, -0.25];
    expect([...orderByNumber(Float64Array.from(values))]).toEqual([4, 1, 7, 3, 0, 5, 6, 2]);
    expect([...orderByNumber(new Float64Array(0))]).toEqual([]);
  });
});

describe('orderByKey', () => {
  test('re-orders stably by small keys', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(4), { maxLength: 60 }), (keys) => {
        const start = Uint32Array.from(referenceOrder(keys.length, () => 0).reverse());
        const order = orderByKey(start, keys, 5);
        const position = new Map([...start].map((index, at) => [index, at]));
        expect([...order]).toEqual(
          [...start].sort((a, b) => keys[a]! - keys[b]! || position.get(a)! - position.get(b)!),
        );
      }),
      { numRuns: 500 },
    );
  });
});
