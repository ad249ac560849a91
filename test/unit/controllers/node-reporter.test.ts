import { NodeReporter } from '../../../controllers/node-reporter.js';
import type { SweepFacts } from '../../../src/status/policy-status.js';
import type { ReapNodeReport, ReapNodeReportStatus } from '../../../src/api/types.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { container, policy, snapshot } from '../../support/builders.js';
import { report } from '../../support/reports.js';

const HEARTBEAT_MS = 300_000;
const T0 = Date.parse('2026-11-25T10:00:00Z');

/** The reporter with an in-memory store of reports and a record of the writes it asked for. */
function setup(stored?: ReapNodeReportStatus) {
  let now = T0;
  const writes: ReapNodeReportStatus[] = [];
  const requested: [string, number][] = [];
  const deleted: string[] = [];
  const reporter = new NodeReporter({
    objects: {
      read: async () => (stored ? ({ status: stored } as ReapNodeReport) : undefined),
      write: async (_policy, status) => void writes.push(status),
      delete: async (name) => void deleted.push(name),
    },
    liveKeys: () => new Set(['A']),
    requestWrite: (name, delayMs) => requested.push([name, delayMs]),
    heartbeatMs: HEARTBEAT_MS,
    now: () => now,
    random: () => 0, // no jitter taken off
    logger: silentLogger,
  });
  return { reporter, writes, requested, deleted, advance: (ms: number) => (now += ms) };
}

const facts = (extra: Partial<SweepFacts> = {}): SweepFacts => ({
  report: report(),
  generation: 1,
  failedClosed: [],
  overlaps: [],
  ...extra,
});
const p = policy();

test('a sweep is written at once, with its totals, and the heartbeat is asked for', async () => {
  const { reporter, writes, requested } = setup();
  await reporter.load(p);
  await reporter.afterSweep(p, facts());
  expect(writes).toHaveLength(1);
  expect(writes[0]).toMatchObject({
    observedGeneration: 1,
    totals: { sweeps: 1, reaped: 0, failed: 0, blocked: 0 },
    lastHeartbeatTime: '2026-11-25T10:00:00Z',
  });
  expect(requested).toEqual([['default', HEARTBEAT_MS]]);
});

test('a sweep that only waited for a burst is written by the one that follows it', async () => {
  const { reporter, writes, requested } = setup();
  await reporter.load(p);
  await reporter.afterSweep(p, facts());
  await reporter.afterSweep(p, facts({ followUpInMs: 11_000 }));
  expect(writes).toHaveLength(1);
  // In case no sweep follows after all, the deferred report is still written.
  expect(requested.at(-1)).toEqual(['default', 16_000]);
  await reporter.afterSweep(p, facts({ report: report({ counts: { containers: { reaped: 2 } } }) }));
  expect(writes).toHaveLength(2);
  expect(writes[1]!.totals).toEqual({ sweeps: 3, reaped: 2, failed: 0, blocked: 0 });
});

test('sweeps that keep waiting for a burst are written once, by the one that reaps', async () => {
  const { reporter, writes, advance } = setup();
  await reporter.load(p);
  await reporter.afterSweep(p, facts());
  for (let i = 0; i < 3; i++) {
    await reporter.afterSweep(p, facts({ followUpInMs: 11_000 }));
    advance(11_000);
    // The first waiting sweep's safety write comes due while the next one still waits: not written.
    await reporter.write('default');
  }
  expect(writes).toHaveLength(1);
  await reporter.afterSweep(p, facts({ report: report({ counts: { containers: { reaped: 2 } } }) }));
  expect(writes).toHaveLength(2);
  // Had no sweep followed, the deferred write goes out once its deadline passes.
  await reporter.afterSweep(p, facts({ followUpInMs: 11_000 }));
  advance(16_000);
  await reporter.write('default');
  expect(writes).toHaveLength(3);
});

test.each([
  ['the first sweep of a generation', facts({ followUpInMs: 11_000, generation: 2 })],
  ['a sweep that reaped', facts({ followUpInMs: 11_000, report: report({ counts: { networks: { reaped: 1 } } }) })],
  ['a blocked sweep', facts({ followUpInMs: 11_000, report: report({ outcome: 'Blocked' }) })],
])('%s is written at once even when another follows', async (_name, second) => {
  const { reporter, writes } = setup();
  await reporter.load(p);
  await reporter.afterSweep(p, facts());
  await reporter.afterSweep(p, second);
  expect(writes).toHaveLength(2);
});

test('the waves a report held come back on the first load only, and stay in the report', async () => {
  const heldWaves = [
    {
      approvalId: 'b-0123456789ab',
      owners: 800,
      firstTime: '2026-11-25T09:59:58.000Z',
      lastTime: '2026-11-25T10:00:00.000Z',
      ownerKeys: ['k'],
    },
  ];
  const stored: ReapNodeReportStatus = {
    conditions: [],
    lastSweep: report(),
    heldWaves,
  };
  const { reporter, writes, advance } = setup(stored);
  expect(await reporter.load(p)).toEqual(heldWaves);
  expect(await reporter.load(p)).toEqual([]);
  advance(HEARTBEAT_MS);
  await reporter.write('default');
  expect(writes[0]!.heldWaves).toEqual(heldWaves);
});

test('totals and transition times carry on from the stored report after a restart', async () => {
  const stored: ReapNodeReportStatus = { totals: { sweeps: 7, reaped: 3, failed: 0, blocked: 1 } };
  const { reporter, writes } = setup(stored);
  await reporter.load(p);
  await reporter.afterSweep(p, facts());
  expect(writes[0]!.totals).toEqual({ sweeps: 8, reaped: 3, failed: 0, blocked: 1 });
});

test('nothing new before the heartbeat: no write, asked back when it is due; then written again', async () => {
  const { reporter, writes, requested, advance } = setup();
  await reporter.load(p);
  await reporter.afterSweep(p, facts());
  advance(60_000);
  await reporter.write('default');
  expect(writes).toHaveLength(1);
  expect(requested.at(-1)).toEqual(['default', HEARTBEAT_MS - 60_000]);
  advance(HEARTBEAT_MS);
  await reporter.write('default');
  expect(writes).toHaveLength(2);
  expect(writes[1]!.lastHeartbeatTime).toBe('2026-11-25T10:06:00Z');
});

test('a runtime change in what owners hold asks for a write; the same counts again do not', async () => {
  const { reporter, writes, requested } = setup();
  await reporter.load(p);
  await reporter.afterSweep(p, facts());
  requested.length = 0;
  const twoOfA = snapshot([container('a1', 'A'), container('a2', 'A'), container('o1', 'orphan')]);
  reporter.onSnapshot(p, twoOfA);
  expect(requested).toEqual([['default', 0]]);
  await reporter.write('default');
  expect(writes.at(-1)!.owners).toEqual([
    { key: 'A', containers: 2, networks: 0, volumes: 0, ipLeases: 0 },
    { key: 'orphan', containers: 1, networks: 0, volumes: 0, ipLeases: 0 },
  ]);
  requested.length = 0;
  reporter.onSnapshot(p, { ...twoOfA, takenAt: twoOfA.takenAt + 1 });
  expect(requested).toEqual([]);
  // An incomplete listing says nothing: the last counts stand.
  reporter.onSnapshot(p, { ...snapshot([]), complete: false, errors: ['docker: gone'] });
  expect(requested).toEqual([]);
});

test('what changes only for owners that are gone waits for the next write', async () => {
  const { reporter, writes, requested } = setup();
  await reporter.load(p);
  reporter.onSnapshot(p, snapshot([container('a1', 'A'), container('o1', 'orphan'), container('o2', 'orphan')]));
  await reporter.afterSweep(p, facts());
  requested.length = 0;
  // The orphan's resources reaped: nothing a live owner's status reads has changed.
  reporter.onSnapshot(p, snapshot([container('a1', 'A')]));
  expect(requested).toEqual([]);
  await reporter.afterSweep(p, facts({ report: report({ counts: { containers: { reaped: 2 } } }) }));
  expect(writes.at(-1)!.owners).toEqual([{ key: 'A', containers: 1, networks: 0, volumes: 0, ipLeases: 0 }]);
  // A live owner's count changing is written at once.
  reporter.onSnapshot(p, snapshot([container('a1', 'A'), container('a2', 'A')]));
  expect(requested).toContainEqual(['default', 0]);
});

test('writes of one report never overlap, and the last one says the latest', async () => {
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const statuses: ReapNodeReportStatus[] = [];
  const reporter = new NodeReporter({
    objects: {
      read: async () => undefined,
      write: async (_policy, status) => {
        order.push('start');
        if (statuses.length === 0) await gate;
        statuses.push(status);
        order.push('end');
      },
      delete: async () => undefined,
    },
    liveKeys: () => undefined,
    requestWrite: () => undefined,
    heartbeatMs: HEARTBEAT_MS,
    now: () => T0,
    random: () => 0,
    logger: silentLogger,
  });
  await reporter.load(p);
  const first = reporter.afterSweep(p, facts());
  while (order.length === 0) await new Promise((resolve) => setImmediate(resolve));
  // The first write is in flight: the second waits for it, then writes what is newest.
  const second = reporter.afterSweep(p, facts({ report: report({ sweepId: 'second' }) }));
  release();
  await Promise.all([first, second]);
  expect(order).toEqual(['start', 'end', 'start', 'end']);
  expect(statuses.at(-1)!.lastSweep!.sweepId).toBe('second');
});

test('a policy that goes takes its report with it', async () => {
  const { reporter, deleted, writes } = setup();
  await reporter.load(p);
  await reporter.forget('default');
  expect(deleted).toEqual(['default']);
  await reporter.write('default');
  expect(writes).toEqual([]);
});
