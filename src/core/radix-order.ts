// Stable orderings of indexes by numeric keys in linear time (least-significant-digit radix sort),
// for the planner's sort into execution order: no comparison function, no n log n.

const DIGIT_BITS = 11;
const DIGIT_VALUES = 1 << DIGIT_BITS;
/** A 32-bit half of a key is read in three digits of at most 11 bits, lowest first. */
const DIGIT_SHIFTS = [0, DIGIT_BITS, 2 * DIGIT_BITS];

// Which 32-bit word of a float64 holds the sign and exponent depends on the platform's byte order.
const LITTLE_ENDIAN = new Uint8Array(Float64Array.of(-1).buffer)[7] === 0xbf;
const HIGH_WORD = LITTLE_ENDIAN ? 1 : 0;
const LOW_WORD = 1 - HIGH_WORD;

/**
 * Indexes 0..n-1 ordered by `values` ascending; equal values keep index order. NaN must not occur,
 * and -0 counts as less than 0: callers normalise both.
 */
export function orderByNumber(values: Float64Array): Uint32Array {
  const count = values.length;
  const offsets = wholeNumberOffsets(values);
  if (offsets) return byDigits(identity(count), offsets);
  // The IEEE 754 bits of a double, read as an unsigned integer, order like the double once a
  // negative number has all its bits flipped and a positive one its sign bit set.
  const words = new Uint32Array(Float64Array.from(values).buffer);
  const high = new Uint32Array(count);
  const low = new Uint32Array(count);
  for (let index = 0; index < count; index++) {
    const sign = words[2 * index + HIGH_WORD]! >>> 31;
    const flip = sign === 1 ? 0xffffffff : 0;
    high[index] = (words[2 * index + HIGH_WORD]! ^ (flip | 0x80000000)) >>> 0;
    low[index] = (words[2 * index + LOW_WORD]! ^ flip) >>> 0;
  }
  return byDigits(byDigits(identity(count), low), high);
}

/**
 * Each value less the least, when all are whole numbers less than 2^32 apart (times in
 * milliseconds, as a rule): one 32-bit key per value, half the passes. Exact: doubles that close
 * subtract without rounding, so distinct values keep distinct offsets in the same order. Not for
 * -0, which would become the same offset as 0.
 */
function wholeNumberOffsets(values: Float64Array): Uint32Array | undefined {
  let least = Number.POSITIVE_INFINITY;
  let greatest = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    if (!Number.isInteger(value) || Object.is(value, -0)) return undefined;
    if (value < least) least = value;
    if (value > greatest) greatest = value;
  }
  if (values.length === 0 || greatest - least > 0xffffffff) return undefined;
  const offsets = new Uint32Array(values.length);
  for (let index = 0; index < values.length; index++) offsets[index] = values[index]! - least;
  return offsets;
}

/** `order` stably re-ordered by 32-bit keys, lowest digit first. */
function byDigits(order: Uint32Array, keys: Uint32Array): Uint32Array {
  for (const shift of DIGIT_SHIFTS) order = byDigit(order, keys, shift);
  return order;
}

/** `order` stably re-ordered by small whole-number keys (0 <= key < keyCount): a counting sort. */
export function orderByKey(order: Uint32Array, keys: ArrayLike<number>, keyCount: number): Uint32Array {
  const next = new Uint32Array(keyCount + 1);
  for (const index of order) next[keys[index]! + 1]!++;
  for (let key = 1; key < keyCount; key++) next[key]! += next[key - 1]!;
  const sorted = new Uint32Array(order.length);
  for (const index of order) sorted[next[keys[index]!]!++] = index;
  return sorted;
}

/** One radix pass: `order` stably re-ordered by one digit of `keys`; the same order when all share it. */
function byDigit(order: Uint32Array, keys: Uint32Array, shift: number): Uint32Array {
  const mask = DIGIT_VALUES - 1;
  const next = new Uint32Array(DIGIT_VALUES);
  for (const index of order) next[(keys[index]! >>> shift) & mask]!++;
  if (order.length === 0 || next[(keys[order[0]!]! >>> shift) & mask] === order.length) return order;
  for (let digit = 0, start = 0; digit < DIGIT_VALUES; digit++) {
    const size = next[digit]!;
    next[digit] = start;
    start += size;
  }
  const sorted = new Uint32Array(order.length);
  for (const index of order) sorted[next[(keys[index]! >>> shift) & mask]!++] = index;
  return sorted;
}

function identity(count: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let index = 0; index < count; index++) order[index] = index;
  return order;
}
