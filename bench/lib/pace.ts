// How fast the machine is right now, measured the same way before and after each benchmark. On a
// shared machine the same code runs a fifth faster or slower from one hour to the next; a record
// that carries these figures says whether the code or the machine changed.
import { median, seededRandom } from './stats.js';

/** Larger than any cache this code runs on, so every read below goes to memory. */
const CHAIN_ENTRIES = 8 * 1024 * 1024;
const CHAIN_STEPS = 2_000_000;
const COMPUTE_ROUNDS = 50_000_000;
const REPEATS = 3;

/** Nanoseconds per read when each address comes from the read before (32 MiB, one random cycle). */
export function memoryReadNs(): number {
  const next = new Int32Array(CHAIN_ENTRIES);
  for (let i = 0; i < CHAIN_ENTRIES; i++) next[i] = i;
  // Sattolo's shuffle: one cycle through every entry, so the walk never settles into a short loop.
  const random = seededRandom(1);
  for (let i = CHAIN_ENTRIES - 1; i > 0; i--) {
    const j = Math.floor(random() * i);
    const t = next[i]!;
    next[i] = next[j]!;
    next[j] = t;
  }
  const times: number[] = [];
  let at = 0;
  for (let r = 0; r < REPEATS; r++) {
    const start = performance.now();
    for (let step = 0; step < CHAIN_STEPS; step++) at = next[at]!;
    times.push(((performance.now() - start) * 1e6) / CHAIN_STEPS);
  }
  // `at` is used, so the walk cannot be optimized away.
  if (at < 0) throw new Error('unreachable');
  return median(times);
}

/** Milliseconds for a fixed integer loop that touches no memory. */
export function computeMs(): number {
  const times: number[] = [];
  let x = 1;
  for (let r = 0; r < REPEATS; r++) {
    const start = performance.now();
    for (let i = 0; i < COMPUTE_ROUNDS; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
    }
    times.push(performance.now() - start);
  }
  if (x === 0) throw new Error('unreachable');
  return median(times);
}

export function describePace(): string {
  return `dependent memory read ${memoryReadNs().toFixed(0)} ns, fixed compute loop ${computeMs().toFixed(0)} ms`;
}
