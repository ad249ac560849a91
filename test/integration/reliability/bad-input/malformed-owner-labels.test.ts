// Containers and networks whose owner label is malformed are foreign: a whole `reaper sweep` on the
// real Docker engine leaves them alone, while the well-formed orphans beside them are reaped (so
// the sweep did run and could have taken them). The pure rule is property-tested in
// test/unit/core/foreign.property.test.ts; this is the same promise through Docker's own labels.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RuntimeFixtures } from '../../../support/runtime-fixtures.js';
import type { SweepReport } from './cli.js';
import { ownersDir, policyFile, reaper } from './cli.js';

const fx = new RuntimeFixtures('bad-labels');
const work = mkdtempSync(path.join(tmpdir(), 'reaper-bad-labels-'));
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await fx.cleanUp();
});

/** One container and one network carrying `value` under the policy's label, named after `tag`. */
async function labelled(tag: string, label: string, value: string) {
  const labels = { [label]: value };
  return {
    tag,
    container: await fx.container(`${tag}-c`, { labels, running: false }),
    network: await fx.network(`${tag}-n`, labels),
  };
}

async function stillThere(made: { container: string; network: string }) {
  return { container: await fx.exists('container', made.container), network: await fx.exists('network', made.network) };
}

test('an empty, a 10 KB, and a control-character owner label are foreign: never removed, not counted as attributable', async () => {
  const { file, label } = policyFile(work);
  const liveUid = randomUUID();
  const live = await labelled('live', label, liveUid);
  const orphan = await labelled('orphan', label, randomUUID());
  const malformed = [
    await labelled('empty', label, ''),
    await labelled('huge', label, 'x'.repeat(10 * 1024)),
    await labelled('huge-uid', label, randomUUID().repeat(300)),
    await labelled('newline', label, `${randomUUID()}\n`),
    await labelled('nul', label, `${randomUUID()}\u0000x`),
  ];
  // Docker stores them as given: the test is about what reaper does with them.
  const inspected = await fx.docker.getContainer(malformed[1]!.container).inspect();
  expect(inspected.Config.Labels[label]).toHaveLength(10 * 1024);

  const run = reaper(['sweep', '--policy', file, '--owners-from', ownersDir(work, [liveUid]), '-o', 'json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const report = JSON.parse(run.stdout) as SweepReport;
  expect(report.outcome).toBe('Completed');

  // The sweep ran and took what was attributable and orphaned...
  expect(await stillThere(orphan)).toEqual({ container: false, network: false });
  expect(await stillThere(live)).toEqual({ container: true, network: true });
  // ...and none of the malformed ones, which did not even count as attributable.
  for (const made of malformed)
    expect({ tag: made.tag, ...(await stillThere(made)) }).toEqual({
      tag: made.tag,
      container: true,
      network: true,
    });
  expect(report.counts.containers).toMatchObject({ attributable: 2, orphaned: 1, reaped: 1 });
  expect(report.counts.networks).toMatchObject({ attributable: 2, orphaned: 1, reaped: 1 });
  const named = new Set(malformed.flatMap((m) => [fx.name(`${m.tag}-c`), fx.name(`${m.tag}-n`)]));
  expect(report.items.filter((i) => named.has(i.name))).toEqual([]);
}, 300_000);

// The issue asks that a label that is not a uid be foreign too, when the policy's owners are keyed
// by uid: such a value can never be a live owner's key, so today it is attributed, found orphaned
// and reaped. The rule lives in src/core/attribution.ts (claimOf); until it checks the key's shape
// against the owners' key type, this records the gap. It fails (and must be turned into a plain
// test) once a non-uid value under a uid-keyed policy is foreign.
test.failing(
  'a value that is not a uid, under a policy whose owners are keyed by uid, is foreign',
  async () => {
    const { file, label } = policyFile(work);
    const notUids = [await labelled('not-a-uid', label, 'not-a-uid'), await labelled('blank', label, ' ')];
    const run = reaper(['sweep', '--policy', file, '--owners-from', ownersDir(work, [randomUUID()]), '-o', 'json']);
    expect(run.code).toBe(0);
    for (const made of notUids) expect(await stillThere(made)).toEqual({ container: true, network: true });
  },
  300_000,
);
