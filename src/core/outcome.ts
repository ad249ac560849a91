// What happened to one selected item when the executor ran it.
export type OutcomeStatus =
  | 'reaped'
  | 'alreadyGone' // NotFound: someone removed it first; counts as reaped
  | 'failed'
  | 'skipped' // not removed by choice: running with Skip, in use, owner live again at re-check
  | 'wouldReap'; // DryRun

export interface ItemOutcome {
  /** resourceKey() of the item. */
  readonly key: string;
  readonly status: OutcomeStatus;
  readonly reason: string;
}

/** Whether the item is gone from the runtime: removed now, or by someone first. */
export function isRemoved(outcome: Pick<ItemOutcome, 'status'>): boolean {
  return outcome.status === 'reaped' || outcome.status === 'alreadyGone';
}
