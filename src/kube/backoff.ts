// Exponential backoff with a cap and optional jitter, per key: the delay doubles with each failure
// of a key and starts over once the key succeeds (reset).
export interface BackoffOptions {
  /** Delay after the first failure. */
  baseMs: number;
  /** The delay never exceeds this. */
  maxMs: number;
  /** 0..1: the fraction of a delay that may be randomly taken off, so retries of many keys spread out. */
  jitter?: number;
}

/** The delay before retry number `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponential = options.baseMs * 2 ** Math.min(attempt, 52);
  const capped = Math.min(options.maxMs, exponential);
  const jitter = Math.min(Math.max(options.jitter ?? 0, 0), 1);
  return Math.round(capped * (1 - jitter * random()));
}

/**
 * A period with up to `fraction` of it randomly taken off: agents started together (a rollout) drift
 * apart instead of sweeping and writing in step.
 */
export function jittered(ms: number, fraction: number, random: () => number = Math.random): number {
  return Math.round(ms * (1 - Math.min(Math.max(fraction, 0), 1) * random()));
}

export class KeyedBackoff<K = string> {
  private readonly failures = new Map<K, number>();

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** Records one more failure of `key` and returns how long to wait before retrying it. */
  next(key: K): number {
    const attempt = this.failures.get(key) ?? 0;
    this.failures.set(key, attempt + 1);
    return backoffDelay(attempt, this.options, this.random);
  }

  /** How many failures in a row `key` has had. */
  attempts(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  reset(key: K): void {
    this.failures.delete(key);
  }
}
