// The result of removing one resource, shared by every backend.
import type { OutcomeStatus } from '../core/outcome.js';

export interface RemovalResult {
  readonly status: Exclude<OutcomeStatus, 'wouldReap'>;
  readonly reason: string;
}

export const reaped = (reason = 'removed'): RemovalResult => ({ status: 'reaped', reason });
export const alreadyGone = (): RemovalResult => ({ status: 'alreadyGone', reason: 'already removed' });
export const skipped = (reason: string): RemovalResult => ({ status: 'skipped', reason });
export const failed = (reason: string): RemovalResult => ({ status: 'failed', reason });

/** Docker's HTTP status of a failed call, when dockerode reports one. */
export function httpStatus(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** One line for a report: Docker's own message when it sent one, else the error's. */
export function describeError(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  const message = typeof json?.message === 'string' ? json.message : err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.slice(0, 300);
}
