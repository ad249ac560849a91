// `reaper run` as operators meet it: /readyz only once the informers have synced and Docker answers,
// /healthz, /metrics whose values are what the sweeps did, the configuration printed once, SIGTERM
// while idle, and usage errors. On a control plane of the test's own, so the only controllers that
// sweep these policies (and move these metrics) are the ones started here.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ControllerProcess, LogLine } from '../../support/controller-process.js';
import { sweepsOf } from '../../support/controller-process.js';
import type { ExtraApiServer } from '../../support/extra-apiserver.js';
import { PrivateCluster } from '../../support/extra-apiserver.js';
import { uniqueName } from '../../support/engines.js';
import { startReaper } from '../../support/reaper-cli.js';
import { eventually } from '../../support/eventually.js';
import { metricValue, scenarioOn, startControllerOn, waitUntilServed } from '../../support/private-scenario.js';
import type { ControllerScenario, OwnerResources } from '../../support/scenario.js';
import { condition } from '../../support/scenario.js';

const KINDS = ['containers', 'networks', 'volumes', 'ipLeases'] as const;
type Kind = (typeof KINDS)[number];
type Counts = Record<Kind, { scanned: number; orphaned: number; reaped: number; failed: number }>;
interface ReportItem {
  kind: string;
  id: string;
  action: string;
  reason: string;
}

let cluster: PrivateCluster;
let server: ExtraApiServer;
/** A policy whose orphans are reaped, and one blocked by its blast-radius limit. */
let reaping: ControllerScenario;
let blocked: ControllerScenario;
/** A policy whose removals take seconds each, one at a time. */
let busy: ControllerScenario | undefined;
let controller: ControllerProcess | undefined;
let orphans: OwnerResources;
let kept: OwnerResources;

beforeAll(async () => {
  cluster = await PrivateCluster.start('ops');
  server = cluster.apiServers[0]!;
  // The agents here sweep both policies: one agent set.
  const agents = uniqueName('ctl-ops');
  reaping = scenarioOn(server, 'ctl-ops', { agents });
  blocked = scenarioOn(server, 'ctl-ops-blocked', { agents });
  await waitUntilServed([server]);

  const namespace = await reaping.namespace();
  const owner = await reaping.createTopology(namespace, 'kept', 1);
  kept = await reaping.materialize('kept', owner, { containers: 2 });
  orphans = await reaping.materialize('gone', randomUUID(), { containers: 2 });
  await reaping.createPolicy({ timing: { minAge: '0', gracePeriod: '0', interval: '1h' } });

  const survivor = await blocked.createTopology(namespace, 'survivor', 1);
  await blocked.materialize('survivor', survivor, { containers: 1 });
  await blocked.materialize('mass', randomUUID(), { containers: 3 });
  await blocked.createPolicy({
    // One owner gone against the few live ones on this control plane (survivor, kept) is well over
    // 10%, and the guard judges from one owner on.
    limits: { maxOrphanPercent: 10, minOwnersToBlock: 1 },
    timing: { minAge: '0', gracePeriod: '0', interval: '1h' },
  });
}, 300_000);

afterAll(async () => {
  try {
    await controller?.stop('SIGKILL');
    await reaping?.cleanUp();
    await blocked?.cleanUp();
    await busy?.cleanUp();
  } finally {
    await cluster?.close();
  }
}, 200_000);

test('/readyz says ready only once the informers have synced; /healthz answers all along', async () => {
  // The API server is down when the controller starts: it serves its endpoints, but not ready.
  await server.stop();
  controller = await startControllerOn(server, {
    nodeName: 'node-ops',
    // Every policy: these tests check the names this agent gives its policy informer (the log's
    // target, the metric's label), which a selector would add to. Alone on this test's own control
    // plane, it sees no other test's policy anyway.
    policySelector: null,
    args: ['--trigger-delay', '3s'],
    env: { REAPER_SELF_CONTAINER_ID: 'c0ffee', REAPER_LOG_LEVEL: 'info' },
  });
  const c = controller;
  const notReady = await c.get('/readyz');
  expect(notReady.status).toBe(503);
  expect(notReady.body).toContain('[-]policies failed: not synced yet');
  expect(await c.get('/healthz')).toEqual({ status: 200, body: 'ok\n' });

  await server.start();
  const ready = await eventually(
    '/readyz to be ready',
    async () => {
      const answer = await c.get('/readyz?verbose');
      return answer.status === 200 && answer;
    },
    120_000,
  );
  const synced = (target: string) => c.logs.some((l) => l.msg === 'informer synced' && l.target === target);
  for (const target of ['ReapPolicy', 'Topology', 'Sandbox']) {
    expect(synced(`${target}.reaper.dev/v1alpha1`)).toBe(true);
    expect(ready.body).toContain(
      target === 'ReapPolicy' ? '[+]policies ok' : `[+]owners ${target}.reaper.dev/v1alpha1 ok`,
    );
  }
  expect(ready.body).toContain('[+]docker ok');
  // It writes the fleet summary too (--role all): it waits for the reports and the Nodes as well.
  expect(ready.body).toContain('[+]node reports ok');
  expect(ready.body).toContain('[+]nodes ok');
});

test('the configuration is printed once, at start, with flags and environment fallbacks resolved', async () => {
  const c = controller!;
  await eventually(
    'a sweep of each policy',
    () => sweepsOf(c, reaping.policyName).length > 0 && sweepsOf(c, blocked.policyName).length > 0,
    60_000,
  );
  const starting = c.logs.filter((l) => l.msg === 'starting');
  expect(starting).toHaveLength(1);
  expect(c.logs.indexOf(starting[0]!)).toBe(0);
  expect(starting[0]).toMatchObject({
    config: {
      nodeName: 'node-ops',
      httpAddress: '127.0.0.1:0',
      selfContainerId: 'c0ffee',
      logLevel: 'info',
      ownerWorkers: 4,
      triggerDelayMs: 3000,
      ownerResyncMs: 60_000,
    },
    cluster: server.url,
  });
  expect(starting[0]!.config).not.toHaveProperty('leaderElection');
});

test('/metrics holds what the sweeps did', async () => {
  const c = controller!;
  await eventually(
    'the orphans to be reaped',
    async () => {
      const left = await reaping.remaining(orphans);
      return left.containers + left.networks + left.leases === 0;
    },
    60_000,
  );
  const p = reaping.policyName;
  const b = blocked.policyName;
  // Settled: the same sweeps logged before and after reading the node's report and then the metrics
  // (in that order: a sweep records its metrics before it writes its report, so the report read
  // first comes from the metrics' sweep or an earlier one).
  const { text, sweeps, status } = await eventually('the sweeps to be logged and settle', async () => {
    const before = sweepsOf(c, p).length + sweepsOf(c, b).length;
    const status = (await reaping.nodeReport('node-ops'))?.status?.lastSweep as
      { finishTime: string; outcome: string } | undefined;
    const body = (await c.get('/metrics')).body;
    const after = { reaping: sweepsOf(c, p), blocked: sweepsOf(c, b) };
    const reapedSoFar = after.reaping.reduce((n, s) => n + countsOf(s).containers.reaped, 0);
    const settled = before === after.reaping.length + after.blocked.length;
    const blockedLast = after.blocked.at(-1)?.outcome === 'Blocked';
    // The status is written after the sweep's metrics: wait for a Completed one in it too.
    const completed = status?.outcome === 'Completed';
    return settled && completed && reapedSoFar === 2 && blockedLast && { text: body, sweeps: after, status };
  });
  const metric = (name: string, labels: Record<string, string>) => metricValue(text, name, labels);

  // The reaping policy. Counters are what the logged sweeps add up to, gauges what the last one saw.
  // (The API server came up while the controller ran: a sweep may have failed closed while an owner
  // informer was still retrying its first list.)
  const outcomes = (list: LogLine[]) => (outcome: string) => list.filter((s) => s.outcome === outcome).length;
  const ofReaping = outcomes(sweeps.reaping);
  expect(ofReaping('Completed')).toBeGreaterThan(0);
  expect(ofReaping('Completed') + ofReaping('FailedClosed')).toBe(sweeps.reaping.length);
  for (const outcome of ['Completed', 'PartiallyFailed', 'Blocked', 'FailedClosed'])
    expect(metric('reaper_sweeps_total', { policy: p, outcome })).toBe(ofReaping(outcome));
  expect(metric('reaper_sweep_duration_seconds_count', { policy: p })).toBe(sweeps.reaping.length);
  expect(metric('reaper_sweep_duration_seconds_bucket', { policy: p, le: '+Inf' })).toBe(sweeps.reaping.length);
  expect(metric('reaper_sweep_duration_seconds_sum', { policy: p })).toBeGreaterThan(0);
  const last = countsOf(sweeps.reaping.at(-1)!);
  const summed = (kind: Kind, field: 'reaped' | 'failed') =>
    sweeps.reaping.reduce((n, s) => n + countsOf(s)[kind][field], 0);
  for (const kind of KINDS) {
    expect(metric('reaper_resources_scanned', { policy: p, kind })).toBe(last[kind].scanned);
    expect(metric('reaper_resources_orphaned', { policy: p, kind })).toBe(last[kind].orphaned);
    expect(metric('reaper_resources_reaped_total', { policy: p, kind })).toBe(summed(kind, 'reaped'));
    expect(metric('reaper_resources_failed_total', { policy: p, kind })).toBe(0);
  }
  // What the orphans were: two containers with their network and two leases; nothing else.
  expect(KINDS.map((kind) => summed(kind, 'reaped'))).toEqual([2, 1, 0, 2]);
  const reapingSweep = sweeps.reaping.find((s) => countsOf(s).containers.reaped > 0)!;
  expect(reapingSweep.outcome).toBe('Completed');
  expect(countsOf(reapingSweep).containers.orphaned).toBe(2);
  expect(last.containers.scanned).toBeGreaterThanOrEqual(4); // the kept owner's two, others' too
  expect(await reaping.remaining(kept)).toEqual({ containers: 2, networks: 1, leases: 2 });
  expect(metric('reaper_sweep_blocked', { policy: p })).toBe(0);
  // The last success is the finish of the last Completed sweep: no earlier than the one in the
  // status, no later than its log line.
  const lastCompleted = sweeps.reaping.filter((s) => s.outcome === 'Completed').at(-1)!;
  const lastSuccess = metric('reaper_last_successful_sweep_timestamp_seconds', { policy: p })! * 1000;
  expect(status.outcome).toBe('Completed');
  expect(lastSuccess).toBeGreaterThanOrEqual(Date.parse(status.finishTime));
  expect(lastSuccess).toBeLessThanOrEqual(Date.parse(lastCompleted.time!));

  // Two Topologies live in the cluster, no Sandbox.
  expect(metric('reaper_live_owners', { kind: 'Topology' })).toBe(2);
  expect(metric('reaper_live_owners', { kind: 'Sandbox' })).toBe(0);

  // The blocked policy: 7 of 10 attributable resources orphaned, over its 50%.
  const ofBlocked = outcomes(sweeps.blocked);
  expect(ofBlocked('Blocked')).toBeGreaterThan(0);
  expect(ofBlocked('Blocked') + ofBlocked('FailedClosed')).toBe(sweeps.blocked.length);
  expect(sweeps.blocked.at(-1)!.outcome).toBe('Blocked');
  for (const outcome of ['Completed', 'PartiallyFailed', 'Blocked', 'FailedClosed'])
    expect(metric('reaper_sweeps_total', { policy: b, outcome })).toBe(ofBlocked(outcome));
  expect(metric('reaper_sweep_blocked', { policy: b })).toBe(1);
  expect(metric('reaper_resources_orphaned', { policy: b, kind: 'containers' })).toBe(3);
  expect(metric('reaper_resources_orphaned', { policy: b, kind: 'ipLeases' })).toBe(3);
  expect(metric('reaper_resources_reaped_total', { policy: b, kind: 'containers' })).toBe(0);
  expect(metric('reaper_last_successful_sweep_timestamp_seconds', { policy: b })).toBeUndefined();

  expect(metric('reaper_informer_healthy', { target: 'ReapPolicy.reaper.dev/v1alpha1' })).toBe(1);
  expect(metric('reaper_informer_healthy', { target: 'Topology.reaper.dev/v1alpha1' })).toBe(1);
});

test('with DOCKER_HOST on a dead socket the informers sync, /readyz stays not ready and the policy is Degraded', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reaper-ops-dead-'));
  const blind = await startControllerOn(server, {
    nodeName: 'node-no-docker',
    policySelector: reaping.policySelector,
    role: 'agent', // node-ops writes the fleet summary
    env: { DOCKER_HOST: `unix://${dir}/docker.sock` },
  });
  try {
    const answer = await eventually(
      'the informers to sync',
      async () => {
        // Every informer: the policies' watch counts as synced only once it is connected, which may
        // come after the owner kinds' (the built-in ones start without waiting for policies).
        const readyz = await blind.get('/readyz?verbose');
        const synced = ['policies', 'owners Topology.reaper.dev/v1alpha1', 'owners Sandbox.reaper.dev/v1alpha1'];
        return synced.every((check) => readyz.body.includes(`[+]${check} ok`)) && readyz;
      },
      60_000,
    );
    expect(answer.status).toBe(503);
    expect(answer.body).toContain('[+]policies ok');
    expect(answer.body).toMatch(/\[-\]docker failed: .*docker\.sock/);
    expect(await blind.get('/healthz')).toEqual({ status: 200, body: 'ok\n' });

    // Its sweeps reap nothing and say why: in its own report, and in the policy's fleet summary.
    const report = await eventually(
      'the agent to report the runtime not visible',
      async () => {
        const current = await reaping.nodeReport('node-no-docker');
        return condition(current, 'Degraded')?.reason === 'RuntimeNotVisible' && current;
      },
      60_000,
    );
    expect((report.status?.lastSweep as { outcome: string }).outcome).toBe('FailedClosed');
    const policy = await eventually(
      'the policy to say the runtime is not visible on that node',
      async () => {
        const current = await reaping.policy();
        return condition(current, 'Degraded')?.reason === 'RuntimeNotVisible' && current;
      },
      60_000,
    );
    expect(condition(policy, 'Degraded')?.status).toBe('True');
    expect(condition(policy, 'Ready')?.status).toBe('False');
    expect(policy.status?.fleet).toMatchObject({
      degraded: 1,
      problems: [{ node: 'node-no-docker', reason: 'Degraded' }],
    });
    const blindSweeps = sweepsOf(blind, reaping.policyName);
    expect(blindSweeps.length).toBeGreaterThan(0);
    expect(blindSweeps.every((s) => s.outcome === 'FailedClosed' && countsOf(s).containers.reaped === 0)).toBe(true);
    expect(await reaping.remaining(kept)).toEqual({ containers: 2, networks: 1, leases: 2 });
    expect(await blind.stop()).toBe(0);
  } finally {
    await blind.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one sweep at a time per agent: the sweeps of its two policies never overlap', () => {
  const c = controller!;
  const sweeps = [...sweepsOf(c, reaping.policyName), ...sweepsOf(c, blocked.policyName)]
    .map((s) => [Date.parse(s.startTime as string), Date.parse(s.finishTime as string)] as const)
    .sort((a, b) => a[0] - b[0]);
  expect(sweepsOf(c, reaping.policyName).length).toBeGreaterThan(0);
  expect(sweepsOf(c, blocked.policyName).length).toBeGreaterThan(0);
  for (const [start, finish] of sweeps) expect(finish).toBeGreaterThanOrEqual(start);
  // Each starts no earlier than the one before it finished (report times are milliseconds).
  for (let i = 1; i < sweeps.length; i++) expect(sweeps[i]![0]).toBeGreaterThanOrEqual(sweeps[i - 1]![1]);
});

test('SIGTERM while idle: finishes, logs it, exits 0', async () => {
  const c = controller!;
  controller = undefined;
  expect(await c.stop('SIGTERM', 30_000)).toBe(0);
  const messages = c.logs.map((l) => l.msg);
  expect(messages).toContain('signal received');
  expect(messages.at(-1)).toBe('stopped');
  expect(c.logs.at(-1)).toMatchObject({ exitCode: 0 });
  expect(c.otherOutput).toEqual([]);
});

test('SIGTERM while a removal is in flight: it finishes, nothing new starts, the report is written, exit 0', async () => {
  busy = scenarioOn(server, 'ctl-ops-busy');
  const b = busy;
  // Running orphans whose PID 1 ignores SIGTERM: each graceful stop takes the whole stop timeout.
  const orphan = await b.materialize('busy', randomUUID(), { containers: 2, running: true });
  const kills = await b.fixtures.docker.getEvents({ filters: { container: orphan.containers, event: ['kill'] } });
  let stopping = false;
  kills.once('data', () => (stopping = true));
  try {
    await b.createPolicy({
      resources: { containers: { running: 'Stop', stopTimeoutSeconds: 8 } },
      limits: { maxOrphanPercent: 100, concurrency: 1 },
    });
    const c = await startControllerOn(server, { nodeName: 'node-busy', policySelector: b.policySelector });
    await eventually('the first graceful stop to begin', () => stopping, 120_000);
    expect(await c.stop('SIGTERM', 90_000)).toBe(0);

    const exists = await Promise.all(orphan.containers.map((id) => b.fixtures.exists('container', id)));
    expect(exists.filter(Boolean)).toHaveLength(1); // the one in flight went, the other never started
    const sweep = sweepsOf(c, b.policyName).at(-1)!;
    expect(countsOf(sweep).containers).toMatchObject({ reaped: 1, skipped: 1 });
    const report = (await b.nodeReport('node-busy'))?.status?.lastSweep as { counts: Counts; items: ReportItem[] };
    expect(report.counts.containers.reaped).toBe(1);
    const notStarted = report.items.filter((i) => i.reason === 'shutting down: not started');
    // The second container and the network (after the containers) were never started.
    expect(notStarted.map((i) => [i.kind, i.action])).toEqual([
      ['containers', 'Skipped'],
      ['networks', 'Skipped'],
    ]);
    expect(orphan.containers).toContain(notStarted[0]!.id);
    expect(await b.fixtures.exists('network', orphan.networks[0]!)).toBe(true);
    const messages = c.logs.map((l) => l.msg);
    expect(messages).toContain('shutting down: finishing the work in flight, starting nothing new');
    expect(messages).not.toContain('the work in flight did not finish in time; stopping without it');
  } finally {
    (kills as unknown as { destroy(): void }).destroy();
  }
}, 300_000);

test.each([
  ['an unknown flag', ['--no-such-flag'], {}, /unknown option '--no-such-flag'/],
  ['a bad value', ['--owner-workers', '0'], {}, /--owner-workers: "0" is not an integer from 1 to 64/],
  ['a bad environment fallback', [], { REAPER_LOG_LEVEL: 'loud' }, /--log-level: "loud" is not one of/],
  [
    'inconsistent election timings',
    ['--leader-elect', '--lease-duration', '5s', '--renew-deadline', '10s'],
    {},
    /--lease-duration must be longer than --renew-deadline/,
  ],
])('%s is a usage error (exit 64) that says what is wrong', async (_what, args, env, message) => {
  const { code, stderr } = await startReaper(['run', '--node-name', 'node-usage', ...args], {
    ...env,
    KUBECONFIG: server.kubeconfigPath,
  });
  expect(stderr).toMatch(message);
  expect(code).toBe(64);
});

function countsOf(sweep: LogLine): Counts {
  return sweep.counts as Counts;
}
