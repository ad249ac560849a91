// Mass deletions, told from the cluster-wide owner view (docs/design.md §3.4). Every agent watches
// the same owners, so every agent sees the same deletions: a wave found from them is the same set of
// owner keys on every node, and so is the approval id that releases it. One node's resources say
// nothing about the fleet: a node may hold one of 800 deleted labs, or the only one there was.
import type { Policy } from './policy.js';

/** An owner the agent saw deleted, by its key under the policy's key rule. */
export interface OwnerDeletion {
  readonly key: string;
  /** When the deletion was seen (epoch ms). */
  readonly at: number;
}

export interface DeletionWave {
  /** Owner keys deleted in the wave, sorted and distinct. */
  readonly keys: readonly string[];
  readonly firstAt: number;
  readonly lastAt: number;
  /**
   * Set on a wave recalled after a restart: `keys` are then only the owners this node still held
   * orphans of, so the wave's size and approval id are carried as they were judged.
   */
  readonly recalled?: { readonly owners: number; readonly approvalId: string };
}

/** What the guard knows of owner deletions at a sweep. */
export interface MassDeletions {
  /** Waves held until approved (holdWaves). */
  readonly waves: readonly DeletionWave[];
  /** Owners of a burst still arriving (settlingOwners). */
  readonly settling: ReadonlySet<string>;
}

export type MassDeletionLimits = Pick<
  Policy['limits'],
  'maxOrphanPercent' | 'minOwnersToBlock' | 'massDeletionWindowMs'
>;

/** The share of owners `orphaned` is among `orphaned` and those still live, in percent. */
export function ownerPercent(orphaned: number, liveOwners: number): number {
  const total = orphaned + liveOwners;
  return total === 0 ? 0 : (orphaned / total) * 100;
}

/** Whether this many owners gone at once, against the live ones, is more than the policy lets pass. */
export function isMassDeletion(orphaned: number, liveOwners: number, limits: MassDeletionLimits): boolean {
  return orphaned >= limits.minOwnersToBlock && ownerPercent(orphaned, liveOwners) > limits.maxOrphanPercent;
}

/**
 * The waves among `deletions`: a deletion belongs to one when some window of `massDeletionWindowMs`
 * that holds it holds a mass deletion (isMassDeletion against `liveOwners`); adjacent such deletions
 * form one wave. Owners deleted one at a time, as a platform tears labs down, never form one.
 */
export function findDeletionWaves(
  deletions: readonly OwnerDeletion[],
  liveOwners: number,
  limits: MassDeletionLimits,
): DeletionWave[] {
  const sorted = latestPerKey(deletions).sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : 1));
  const inWave = new Array<boolean>(sorted.length).fill(false);
  // Two pointers, and each deletion marked once: linear however many deletions one window holds.
  let end = 0;
  let marked = -1;
  for (let start = 0; start < sorted.length; start++) {
    if (end < start) end = start;
    while (end + 1 < sorted.length && sorted[end + 1]!.at - sorted[start]!.at <= limits.massDeletionWindowMs) end++;
    if (!isMassDeletion(end - start + 1, liveOwners, limits)) continue;
    inWave.fill(true, Math.max(start, marked + 1), end + 1);
    marked = Math.max(marked, end);
  }
  const waves: DeletionWave[] = [];
  let run: OwnerDeletion[] = [];
  const close = () => {
    if (run.length > 0) waves.push(waveOf(run));
    run = [];
  };
  sorted.forEach((deletion, index) => {
    const last = run[run.length - 1];
    if (last !== undefined && deletion.at - last.at > limits.massDeletionWindowMs) close();
    if (inWave[index]) run.push(deletion);
    else close();
  });
  close();
  return waves;
}

/** How long, in windows after its deletion, an owner of a burst still arriving may wait to be judged. */
export const MAX_SETTLE_WINDOWS = 3;

/**
 * Owners of a burst of deletions still arriving: at least minOwnersToBlock deletions within the
 * last window, and every deletion chained to them by gaps within the window. Such a burst cannot be
 * judged yet (a namespace of 800 owners takes seconds to delete, and 300 gone of 1,000 is not yet a
 * mass deletion); its owners' resources wait until it has ended, or for at most
 * MAX_SETTLE_WINDOWS windows after their own deletion, so deletions that never stop (a platform
 * busy around the clock) delay each owner by a bounded time and never hold it forever. Owners
 * deleted one at a time never make a burst, so a platform's teardowns are reaped at once.
 */
export function settlingOwners(
  deletions: readonly OwnerDeletion[],
  now: number,
  limits: Pick<MassDeletionLimits, 'minOwnersToBlock' | 'massDeletionWindowMs'>,
): Set<string> {
  const windowMs = limits.massDeletionWindowMs;
  const sorted = latestPerKey(deletions).sort((a, b) => b.at - a.at);
  const recent = sorted.filter((deletion) => now - deletion.at <= windowMs).length;
  if (recent < limits.minOwnersToBlock) return new Set();
  const keys = new Set<string>();
  let previous = now;
  for (const deletion of sorted) {
    if (previous - deletion.at > windowMs || now - deletion.at > MAX_SETTLE_WINDOWS * windowMs) break;
    keys.add(deletion.key);
    previous = deletion.at;
  }
  return keys;
}

/**
 * The waves to hold from now on: those held before, joined by the ones found now. A wave found now
 * that shares an owner with a held one, or came within the window of it, is the same deletion seen
 * further along, so the two become one (and need a new approval: it names another set). A held wave
 * is kept while this node holds an orphan of it or its window is still open: once found, it stays
 * held when the owners that made it a wave would no longer (new owners created, deletions aged out).
 */
export function holdWaves(input: {
  readonly held: readonly DeletionWave[];
  readonly found: readonly DeletionWave[];
  readonly windowMs: number;
  readonly now: number;
  /** Owner keys of this node's orphans, in grace or not: what it still has to reap. */
  readonly orphanOwnerKeys?: ReadonlySet<string>;
}): DeletionWave[] {
  let waves = [...input.held];
  for (const found of input.found) {
    const touching = waves.filter((wave) => touches(wave, found, input.windowMs));
    waves = waves.filter((wave) => !touching.includes(wave));
    waves.push(touching.reduce(joined, found));
  }
  const orphans = input.orphanOwnerKeys;
  if (orphans === undefined) return waves;
  return waves.filter((wave) => input.now - wave.lastAt <= input.windowMs || wave.keys.some((key) => orphans.has(key)));
}

function touches(a: DeletionWave, b: DeletionWave, windowMs: number): boolean {
  if (a.firstAt - windowMs <= b.lastAt && b.firstAt - windowMs <= a.lastAt) return true;
  const keys = new Set(a.keys);
  return b.keys.some((key) => keys.has(key));
}

function joined(a: DeletionWave, b: DeletionWave): DeletionWave {
  return {
    keys: [...new Set([...a.keys, ...b.keys])].sort(),
    firstAt: Math.min(a.firstAt, b.firstAt),
    lastAt: Math.max(a.lastAt, b.lastAt),
  };
}

function waveOf(deletions: readonly OwnerDeletion[]): DeletionWave {
  return {
    keys: deletions.map((d) => d.key).sort(),
    firstAt: deletions[0]!.at,
    lastAt: deletions[deletions.length - 1]!.at,
  };
}

// A key deleted, recreated and deleted again is one owner gone, as of its last deletion.
function latestPerKey(deletions: readonly OwnerDeletion[]): OwnerDeletion[] {
  const latest = new Map<string, OwnerDeletion>();
  for (const deletion of deletions) {
    const seen = latest.get(deletion.key);
    if (!seen || seen.at < deletion.at) latest.set(deletion.key, deletion);
  }
  return [...latest.values()];
}
