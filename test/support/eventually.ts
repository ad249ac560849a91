// Waiting for something that happens on its own time (a controller's sweep, an informer's relist,
// a pod becoming Ready): the one polling helper of the tests and the benchmarks.

export interface EventuallyOptions {
  /** How long to keep asking (default 60 s). */
  readonly timeoutMs?: number;
  /**
   * A fixed pause between probes. Without it the pause is a tenth of the time waited so far, from
   * 10 ms up to 500 ms: a quick wait is seen at once, a long one does not keep a slow probe (kubectl,
   * an API request) running back to back.
   */
  readonly intervalMs?: number;
  /**
   * Asked before every probe: a reason to stop waiting at once (the process awaited has exited),
   * which the call then fails with.
   */
  readonly giveUp?: () => string | undefined;
}

/**
 * Probes until `probe` returns something other than undefined or false, and returns that. A probe
 * that throws has not succeeded yet: when the time is up, the error names `what` and the probe's
 * last error, so an assertion inside the probe says what was still wrong.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: number | EventuallyOptions = {},
): Promise<T> {
  const { timeoutMs = 60_000, intervalMs, giveUp } = typeof options === 'number' ? { timeoutMs: options } : options;
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    const reason = giveUp?.();
    if (reason !== undefined) throw new Error(reason);
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    const waited = Date.now() - started;
    if (waited > timeoutMs) {
      const why =
        lastError === undefined ? '' : `: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`, { cause: lastError });
    }
    const pause = intervalMs ?? Math.min(500, Math.max(10, waited / 10));
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
