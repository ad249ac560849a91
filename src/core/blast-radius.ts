// The blast-radius guard (docs/design.md §3.4). It judges owners, fleet-wide: when too many owners
// went at once against those still live, something is more likely wrong with the owners (a deleted
// namespace, a restore gone wrong) than with the hosts, so nothing is reaped until an operator
// approves exactly that set. It never judges one node's resources: a node whose only lab was
// deleted must reap it, and a mass deletion spread thin over many nodes must not pass on each.
import type { DeletionWave, MassDeletionLimits } from './deletion-wave.js';
import { isMassDeletion, ownerPercent } from './deletion-wave.js';
import { APPROVE_SWEEP_ANNOTATION } from './policy.js';
import type { Policy } from './policy.js';
import { stableHash } from './stable-hash.js';

export interface BlastRadiusBlock {
  /**
   * `b-` and 12 hex digits of a stable hash of the policy name and the sorted owner keys judged.
   * It depends on nothing else (not the sweep id, the clock or the node), so a wave of deletions
   * gets the same id on every agent that saw it, and approving it approves that set only.
   */
  readonly approvalId: string;
  /** MassDeletion: a wave the owner view saw; TooManyOwners: this sweep's own orphans, no wave known. */
  readonly cause: 'MassDeletion' | 'TooManyOwners';
  /** Distinct owners judged: the wave's, or this sweep's. */
  readonly owners: number;
  readonly liveOwners: number;
  readonly ownerPercent: number;
  readonly maxOrphanPercent: number;
  /** Removals held. */
  readonly held: number;
  /** One line for conditions, events and logs; built only from the fields above. */
  readonly description: string;
}

export interface GuardInput {
  readonly policy: Pick<Policy, 'name' | 'approvedSweep'> & { readonly limits: MassDeletionLimits };
  /** Distinct owners live in the policy's scope, cluster-wide. */
  readonly liveOwners: number;
  /** Waves of owner deletions the agent holds (deletion-wave.ts holdWaves). */
  readonly waves: readonly DeletionWave[];
  /** Owner keys of the resources this sweep would remove. */
  readonly candidateOwnerKeys: ReadonlySet<string>;
  /** Removals that would be held. */
  readonly candidates: number;
}

export function approvalIdFor(policyName: string, ownerKeys: readonly string[]): string {
  const sorted = [...ownerKeys].sort();
  return `b-${stableHash(`${policyName}\n${sorted.join('\n')}`).slice(0, 12)}`;
}

/**
 * The block, or undefined when the sweep may go on. A sweep is held when it would reap an owner of
 * an unapproved wave, or, for owners no wave accounts for (deleted before this agent watched), when
 * they alone make a mass deletion against the live owners.
 */
export function blastRadiusBlock(input: GuardInput): BlastRadiusBlock | undefined {
  const { policy, waves, candidateOwnerKeys } = input;
  if (candidateOwnerKeys.size === 0) return undefined;
  const inWaves = new Set<string>();
  for (const wave of waves) {
    const touched = wave.keys.some((key) => candidateOwnerKeys.has(key));
    for (const key of wave.keys) inWaves.add(key);
    if (!touched) continue;
    const block = unlessApproved(input, wave.keys, 'MassDeletion', wave.recalled);
    if (block) return block;
  }
  const unaccounted = [...candidateOwnerKeys].filter((key) => !inWaves.has(key));
  if (!isMassDeletion(unaccounted.length, input.liveOwners, policy.limits)) return undefined;
  return unlessApproved(input, unaccounted, 'TooManyOwners');
}

function unlessApproved(
  input: GuardInput,
  ownerKeys: readonly string[],
  cause: BlastRadiusBlock['cause'],
  recalled?: DeletionWave['recalled'],
): BlastRadiusBlock | undefined {
  const { policy, liveOwners, candidates } = input;
  const approvalId = recalled?.approvalId ?? approvalIdFor(policy.name, ownerKeys);
  if (policy.approvedSweep === approvalId) return undefined;
  const owners = recalled?.owners ?? ownerKeys.length;
  const percent = ownerPercent(owners, liveOwners);
  const max = policy.limits.maxOrphanPercent;
  const what =
    cause === 'MassDeletion'
      ? `${owners} owners were deleted at once`
      : `${owners} owners this sweep would reap are gone`;
  const description =
    `${what}, ${percent.toFixed(1)}% of the ${owners + liveOwners} there were ` +
    `(> maxOrphanPercent ${max}, at least minOwnersToBlock ${policy.limits.minOwnersToBlock}); ` +
    `${candidates} removals held; approve exactly this set with ${APPROVE_SWEEP_ANNOTATION}=${approvalId}`;
  return {
    approvalId,
    cause,
    owners,
    liveOwners,
    ownerPercent: percent,
    maxOrphanPercent: max,
    held: candidates,
    description,
  };
}
