// The result of removing one resource, shared by every backend.
import type { OutcomeStatus } from '../core/outcome.js';

export interface RemovalResult {
  readonly status: Exclude<OutcomeStatus, 'wouldReap'>;
  readonly reason: string;
}

export const reaped = (reason = 'removed'): RemovalResult => ({ status: 'reaped', reason });
export const alreadyGone = (reason = 'already removed'): RemovalResult => ({ status: 'alreadyGone', reason });
export const skipped = (reason: string): RemovalResult => ({ status: 'skipped', reason });
export const failed = (reason: string): RemovalResult => ({ status: 'failed', reason });
