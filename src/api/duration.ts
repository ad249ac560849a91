// Go-style durations ("90s", "5m", "1h30m", "250ms") to milliseconds.
import { DURATION_PATTERN } from './schema-helpers.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const WHOLE = new RegExp(DURATION_PATTERN);
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;
/** Ten years: anything longer is a typo, and would overflow timers. */
export const MAX_DURATION_MS = 10 * 365 * 24 * 3_600_000;

/** Milliseconds, or undefined when the text is not a duration reaper accepts. */
export function parseDuration(text: string): number | undefined {
  if (text.length > 32 || !WHOLE.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNIT_MS[unit!]!;
  total = Math.round(total);
  return total <= MAX_DURATION_MS ? total : undefined;
}
