// Go-style durations ("90s", "5m", "1h30m", "250ms", "0"), as people write them in policies: the
// admission pattern, the CEL bounds the API server checks, and the conversion to milliseconds.
import type { Schema } from './schema-helpers.js';
import { RULES_KEY, cel, str } from './schema-helpers.js';

/** A subset of Go's time.ParseDuration: no sign, no units below a millisecond. */
export const DURATION_PATTERN = '^(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h))+)$';
export const DURATION_MAX_LENGTH = 32;
/** Ten years: anything longer is a typo, and would overflow timers. */
export const MAX_DURATION = '87600h';

const WHOLE = new RegExp(DURATION_PATTERN);
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or undefined when the text is not a duration in the accepted form. */
export function parseDuration(text: string): number | undefined {
  if (text.length > DURATION_MAX_LENGTH || !WHOLE.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNIT_MS[unit!]!;
  return Math.round(total);
}

/**
 * A duration field with a default and bounds. Bounds are CEL rules (the pattern cannot compare
 * values); each is guarded by the pattern, because the API server evaluates rules even on values
 * that failed the pattern and would add a confusing conversion error.
 */
export function durationSchema(description: string, defaultValue: string, min = '0'): Schema {
  const guard = `!self.matches(r'${DURATION_PATTERN}')`;
  const bound = (op: '<=' | '>=', limit: string, message: string) =>
    cel(`${guard} || duration(self) ${op} duration('${limit}')`, message, (self) => {
      const ms = typeof self === 'string' ? parseDuration(self) : undefined;
      const limitMs = parseDuration(limit)!;
      return ms === undefined || (op === '<=' ? ms <= limitMs : ms >= limitMs);
    });
  const rules = [bound('<=', MAX_DURATION, `must be at most ${MAX_DURATION} (10 years)`)];
  if (min !== '0') rules.push(bound('>=', min, `must be at least ${min}`));
  return str(`${description} A duration such as 90s, 5m or 1h30m.`, {
    pattern: DURATION_PATTERN,
    maxLength: DURATION_MAX_LENGTH,
    default: defaultValue,
    [RULES_KEY]: rules,
  });
}
