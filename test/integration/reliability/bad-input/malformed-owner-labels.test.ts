// Containers and networks whose owner label is malformed, or is no key the policy's owner kinds
// could have, are foreign: a whole `reaper sweep` on the real Docker engine leaves them alone, while
// the well-formed orphans beside them are reaped (so the sweep did run and could have taken them).
// A well-formed key without the kind label is left alone too, as out of scope.
// The pure rule is property-tested in test/unit/core/foreign.property.test.ts; this is the same
// promise through Docker's own labels.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RuntimeFixtures } from '../../../support/runtime-fixtures.js';
import type { SweepReport } from '../../../support/reaper-cli.js';
import { ownersDir, policyFile, reaper } from '../../../support/reaper-cli.js';

const fx = new RuntimeFixtures('bad-labels');
const work = mkdtempSync(path.join(tmpdir(), 'reaper-bad-labels-'));
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await fx.cleanUp();
});

/**
 * One container and one network carrying `value` under the policy's label, named after `tag`, with
 * the rest of the ownership contract (the kind label) that `owned` writes beside it: only the value
 * can make them foreign.
 */
async function labelled(tag: string, owned: (key: string) => Record<string, string>, value: string) {
  const labels = owned(value);
  return {
    tag,
    container: await fx.container(`${tag}-c`, { labels, running: false }),
    network: await fx.network(`${tag}-n`, labels),
  };
}

/**
 * `reaper sweep -o json` with the policy file, one live owner (Topology o0 in namespace bad-input,
 * with this uid), no errors and a completed sweep: its report.
 */
function sweepCompleted(file: string, uid: string): SweepReport {
  const run = reaper(['sweep', '--policy', file, '--owners-from', ownersDir(work, [uid], 'bad-input'), '-o', 'json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const report = JSON.parse(run.stdout) as SweepReport;
  expect(report.outcome).toBe('Completed');
  return report;
}

async function stillThere(made: { container: string; network: string }) {
  return { container: await fx.exists('container', made.container), network: await fx.exists('network', made.network) };
}

test('an empty, a 10 KB, and a control-character owner label are foreign: never removed, not counted as attributable', async () => {
  const { file, label, owned } = policyFile(work);
  const liveUid = randomUUID();
  const live = await labelled('live', owned, liveUid);
  const orphan = await labelled('orphan', owned, randomUUID());
  const malformed = [
    await labelled('empty', owned, ''),
    await labelled('huge', owned, 'x'.repeat(10 * 1024)),
    await labelled('huge-uid', owned, randomUUID().repeat(300)),
    await labelled('newline', owned, `${randomUUID()}\n`),
    await labelled('nul', owned, `${randomUUID()}\u0000x`),
  ];
  // A well-formed uid with nothing to say whose it is (no reaper.dev/owner-kind: the key alone could
  // name an owner of a kind the policy does not see): out of scope, reported, never removed either.
  const unscoped = await labelled('no-kind', (key) => ({ [label]: key }), randomUUID());
  // Docker stores them as given: the test is about what reaper does with them.
  const inspected = await fx.docker.getContainer(malformed[1]!.container).inspect();
  expect(inspected.Config.Labels[label]).toHaveLength(10 * 1024);

  const report = sweepCompleted(file, liveUid);

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
  expect(report.counts.containers).toMatchObject({ attributable: 2, outOfScope: 1, orphaned: 1, reaped: 1 });
  expect(report.counts.networks).toMatchObject({ attributable: 2, outOfScope: 1, orphaned: 1, reaped: 1 });
  const named = new Set(malformed.flatMap((m) => [fx.name(`${m.tag}-c`), fx.name(`${m.tag}-n`)]));
  expect(report.items.filter((i) => named.has(i.name))).toEqual([]);
  expect(await stillThere(unscoped)).toEqual({ container: true, network: true });
  expect(
    report.items
      .filter((i) => i.name.startsWith(fx.name('no-kind')))
      .map((i) => i.action)
      .sort(),
  ).toEqual(['OutOfScope', 'OutOfScope']);
}, 300_000);

// A key no owner kind of the policy could ever have is foreign too, not the key of an owner that
// is gone (src/core/owner-key-shape.ts): under owners keyed by uid, a label that is not a uid.
test('a value that is not a uid, under a policy whose owners are keyed by uid, is foreign', async () => {
  const { file, owned } = policyFile(work);
  const orphan = await labelled('uid-orphan', owned, randomUUID());
  const notUids = [
    await labelled('not-a-uid', owned, 'not-a-uid'),
    await labelled('blank', owned, ' '),
    await labelled('name-key', owned, 'bad-input/o0'),
    await labelled('uid-start', owned, randomUUID().slice(0, 8)),
    await labelled('uid-braces', owned, `{${randomUUID()}}`),
  ];
  const report = sweepCompleted(file, randomUUID());

  // The sweep could reap: the orphan with a uid went...
  expect(await stillThere(orphan)).toEqual({ container: false, network: false });
  // ...and none of the others, which were not even attributable.
  for (const made of notUids)
    expect({ tag: made.tag, ...(await stillThere(made)) }).toEqual({ tag: made.tag, container: true, network: true });
  expect(report.counts.containers).toMatchObject({ attributable: 1, orphaned: 1, reaped: 1 });
  expect(report.counts.networks).toMatchObject({ attributable: 1, orphaned: 1, reaped: 1 });
}, 300_000);

// The shape is the owners' key type's: under owners keyed by name, `not-a-uid` is a name some owner
// could have (an orphan when none has it), while a blank or an upper-case value still is no name.
test('under a policy whose owners are keyed by name, a name is attributable and a non-name is foreign', async () => {
  const { file, owned } = policyFile(work, {
    owners: [{ apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', key: 'name' }],
  });
  // The owners directory holds Topology o0 in namespace bad-input: its key is bad-input/o0.
  const live = await labelled('name-live', owned, 'bad-input/o0');
  const orphan = await labelled('name-orphan', owned, 'not-a-uid');
  const notNames = [
    await labelled('name-blank', owned, ' '),
    await labelled('name-upper', owned, 'Bad-Input/O0'),
    await labelled('name-underscore', owned, 'bad_input/o0'),
  ];
  const report = sweepCompleted(file, randomUUID());

  expect(await stillThere(live)).toEqual({ container: true, network: true });
  expect(await stillThere(orphan)).toEqual({ container: false, network: false });
  for (const made of notNames)
    expect({ tag: made.tag, ...(await stillThere(made)) }).toEqual({ tag: made.tag, container: true, network: true });
  expect(report.counts.containers).toMatchObject({ attributable: 2, orphaned: 1, reaped: 1 });
  expect(report.counts.networks).toMatchObject({ attributable: 2, orphaned: 1, reaped: 1 });
}, 300_000);
