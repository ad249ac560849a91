// Grace bookkeeping between CLI runs (design §3.3): a cron-driven `reaper sweep --state FILE`
// honours gracePeriod the way a two-step gc does. Written atomically; a file that is not ours is an
// error, never silently replaced (losing it would only delay reaping, but it may be someone's data).
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { NO_GRACE, graceStateFromRecord, graceStateToRecord } from '../core/grace.js';
import type { GraceState } from '../core/model.js';
import { CliError } from './exit-codes.js';

interface StateFileV1 {
  kind: 'ReaperGraceState';
  version: 1;
  policy: string;
  /** Resource key -> first time seen orphaned, epoch ms. */
  firstSeenOrphaned: Record<string, number>;
}

export async function readGraceState(file: string, policy: string): Promise<GraceState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return NO_GRACE;
    throw new CliError(`cannot read state file ${file}: ${(err as Error).message}`);
  }
  let parsed: Partial<StateFileV1>;
  try {
    parsed = JSON.parse(text) as Partial<StateFileV1>;
  } catch {
    throw new CliError(`state file ${file} is not JSON; remove it to start grace bookkeeping afresh`);
  }
  if (parsed.kind !== 'ReaperGraceState' || parsed.version !== 1 || typeof parsed.firstSeenOrphaned !== 'object') {
    throw new CliError(`${file} is not a reaper state file (kind ReaperGraceState, version 1)`);
  }
  if (parsed.policy !== policy) {
    // Another policy's first-seen times would shorten this one's grace period.
    throw new CliError(`state file ${file} belongs to policy ${parsed.policy}, not ${policy}`);
  }
  // JSON holds no NaN or Infinity: dropping what is not a number (graceStateFromRecord) is enough.
  return graceStateFromRecord(parsed.firstSeenOrphaned ?? {});
}

export async function writeGraceState(file: string, policy: string, state: GraceState): Promise<void> {
  const content: StateFileV1 = {
    kind: 'ReaperGraceState',
    version: 1,
    policy,
    firstSeenOrphaned: graceStateToRecord(state),
  };
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
  await rename(temporary, file);
}
