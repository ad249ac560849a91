// The blast-radius guard (design §3.4): when too large a share of what the policy manages looks
// orphaned, something is more likely wrong with the owners than with the host, so nothing is reaped
// until an operator approves exactly that set.
import { APPROVE_SWEEP_ANNOTATION } from './policy.js';
import type { Policy } from './policy.js';
import { stableHash } from './stable-hash.js';

export interface BlastRadiusBlock {
  /**
   * `b-` and 12 hex digits of a stable hash of the policy name and the sorted keys of the held
   * candidates. It depends on nothing else (not the sweep id, the clock or the node), so the same
   * set gets the same id on every sweep and every agent, and approving it approves that set only.
   */
  readonly approvalId: string;
  readonly orphaned: number;
  /** Attributable and unprotected: what the policy could ever reap. */
  readonly attributable: number;
  readonly orphanPercent: number;
  readonly maxOrphanPercent: number;
  /** Items that would have been selected. */
  readonly held: number;
  /** One line for conditions, events and logs; built only from the fields above. */
  readonly description: string;
}

export function orphanPercentOf(orphaned: number, attributable: number): number {
  return attributable === 0 ? 0 : (orphaned / attributable) * 100;
}

export function approvalIdFor(policyName: string, candidateKeys: readonly string[]): string {
  const sorted = [...candidateKeys].sort();
  return `b-${stableHash(`${policyName}\n${sorted.join('\n')}`).slice(0, 12)}`;
}

/**
 * The block, or undefined when the sweep may go on: nothing to hold, the share within
 * maxOrphanPercent, or the operator approved exactly these candidates.
 */
export function blastRadiusBlock(input: {
  readonly policy: Pick<Policy, 'name' | 'limits' | 'approvedSweep'>;
  readonly orphaned: number;
  readonly attributable: number;
  readonly candidateKeys: readonly string[];
}): BlastRadiusBlock | undefined {
  const { policy, orphaned, attributable, candidateKeys } = input;
  const orphanPercent = orphanPercentOf(orphaned, attributable);
  const maxOrphanPercent = policy.limits.maxOrphanPercent;
  if (candidateKeys.length === 0 || orphanPercent <= maxOrphanPercent) return undefined;
  const approvalId = approvalIdFor(policy.name, candidateKeys);
  if (policy.approvedSweep === approvalId) return undefined;
  const description =
    `${orphaned} of ${attributable} attributable unprotected resources are orphans ` +
    `(${orphanPercent.toFixed(1)}% > maxOrphanPercent ${maxOrphanPercent}); ${candidateKeys.length} removals held; ` +
    `approve exactly this set with ${APPROVE_SWEEP_ANNOTATION}=${approvalId}`;
  return {
    approvalId,
    orphaned,
    attributable,
    orphanPercent,
    maxOrphanPercent,
    held: candidateKeys.length,
    description,
  };
}
