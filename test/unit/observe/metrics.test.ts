import { jest } from '@jest/globals';
import perfHooks from 'node:perf_hooks';
import type { SweepOutcome } from '../../../src/core/report-types.js';
import { EVENT_LOOP_SAMPLE_MS, ReaperMetrics } from '../../../src/observe/metrics.js';
import type { CountsOverrides } from '../../support/reports.js';
import { report } from '../../support/reports.js';

/** A report of `policy` with this outcome and these counts (the rest as reports.ts has it). */
const sweepReport = (policy: string, outcome: SweepOutcome, counts: CountsOverrides = {}) =>
  report({ policy, outcome, counts });

/** The exposition lines of our own metrics (default process metrics left out). */
async function reaperLines(metrics: ReaperMetrics): Promise<string[]> {
  return (await metrics.metrics()).split('\n').filter((line) => line.startsWith('reaper_'));
}

const FINISH_SECONDS = Date.parse(report().finishTime) / 1000;

describe('ReaperMetrics', () => {
  test('recordSweep exports outcome, duration, per-kind gauges and counters, and the success time', async () => {
    const metrics = new ReaperMetrics();
    metrics.recordSweep(
      sweepReport('default', 'Completed', {
        containers: { scanned: 7, orphaned: 3, reaped: 2, failed: 1 },
        ipLeases: { scanned: 4, orphaned: 2, reaped: 2 },
      }),
      1.5,
    );
    const lines = await reaperLines(metrics);
    expect(lines).toEqual(
      expect.arrayContaining([
        'reaper_sweeps_total{policy="default",outcome="Completed"} 1',
        'reaper_sweeps_total{policy="default",outcome="FailedClosed"} 0',
        'reaper_sweep_duration_seconds_bucket{le="1",policy="default"} 0',
        'reaper_sweep_duration_seconds_bucket{le="2.5",policy="default"} 1',
        'reaper_sweep_duration_seconds_bucket{le="600",policy="default"} 1',
        'reaper_sweep_duration_seconds_sum{policy="default"} 1.5',
        'reaper_sweep_duration_seconds_count{policy="default"} 1',
        'reaper_resources_scanned{policy="default",kind="containers"} 7',
        'reaper_resources_scanned{policy="default",kind="ipLeases"} 4',
        'reaper_resources_scanned{policy="default",kind="volumes"} 0',
        'reaper_resources_orphaned{policy="default",kind="containers"} 3',
        'reaper_resources_reaped_total{policy="default",kind="containers"} 2',
        'reaper_resources_reaped_total{policy="default",kind="ipLeases"} 2',
        'reaper_resources_reaped_total{policy="default",kind="networks"} 0',
        'reaper_resources_failed_total{policy="default",kind="containers"} 1',
        `reaper_last_successful_sweep_timestamp_seconds{policy="default"} ${FINISH_SECONDS}`,
        'reaper_sweep_blocked{policy="default"} 0',
      ]),
    );
  });

  test('counters add up over sweeps while gauges show the last sweep', async () => {
    const metrics = new ReaperMetrics();
    metrics.recordSweep(sweepReport('p', 'Completed', { volumes: { scanned: 5, reaped: 2 } }), 0.1);
    metrics.recordSweep(sweepReport('p', 'PartiallyFailed', { volumes: { scanned: 3, reaped: 1, failed: 1 } }), 0.2);
    const lines = await reaperLines(metrics);
    expect(lines).toEqual(
      expect.arrayContaining([
        'reaper_sweeps_total{policy="p",outcome="Completed"} 1',
        'reaper_sweeps_total{policy="p",outcome="PartiallyFailed"} 1',
        'reaper_resources_scanned{policy="p",kind="volumes"} 3',
        'reaper_resources_reaped_total{policy="p",kind="volumes"} 3',
        'reaper_resources_failed_total{policy="p",kind="volumes"} 1',
        'reaper_sweep_duration_seconds_count{policy="p"} 2',
      ]),
    );
  });

  test.each<[SweepOutcome, number, boolean]>([
    ['Completed', 0, true],
    ['PartiallyFailed', 0, false],
    ['Blocked', 1, false],
    ['FailedClosed', 0, false],
  ])('outcome %s: blocked gauge %d, success timestamp set: %s', async (outcome, blocked, stamped) => {
    const metrics = new ReaperMetrics();
    metrics.recordSweep(sweepReport('p', outcome), 0.01);
    const lines = await reaperLines(metrics);
    expect(lines).toContain(`reaper_sweep_blocked{policy="p"} ${blocked}`);
    const stamps = lines.filter((line) => line.startsWith('reaper_last_successful_sweep_timestamp_seconds{'));
    expect(stamps).toEqual(
      stamped ? [`reaper_last_successful_sweep_timestamp_seconds{policy="p"} ${FINISH_SECONDS}`] : [],
    );
  });

  test('a DryRun sweep that completed is a successful sweep', async () => {
    const metrics = new ReaperMetrics();
    metrics.recordSweep({ ...sweepReport('p', 'Completed'), mode: 'DryRun' }, 0.01);
    expect(await reaperLines(metrics)).toContain(
      `reaper_last_successful_sweep_timestamp_seconds{policy="p"} ${FINISH_SECONDS}`,
    );
  });

  test('a blocked sweep after a successful one keeps the earlier success time and clears when unblocked', async () => {
    const metrics = new ReaperMetrics();
    metrics.recordSweep(sweepReport('p', 'Completed'), 0.01);
    metrics.recordSweep({ ...sweepReport('p', 'Blocked'), finishTime: '2026-11-25T13:00:00.000Z' }, 0.01);
    let lines = await reaperLines(metrics);
    expect(lines).toContain(`reaper_last_successful_sweep_timestamp_seconds{policy="p"} ${FINISH_SECONDS}`);
    expect(lines).toContain('reaper_sweep_blocked{policy="p"} 1');
    metrics.recordSweep(sweepReport('p', 'Completed'), 0.01);
    lines = await reaperLines(metrics);
    expect(lines).toContain('reaper_sweep_blocked{policy="p"} 0');
  });

  test('forgetPolicy removes every series of that policy and only those', async () => {
    const metrics = new ReaperMetrics();
    metrics.recordSweep(sweepReport('gone', 'Blocked', { networks: { scanned: 2, orphaned: 2 } }), 3);
    metrics.recordSweep(sweepReport('gone', 'Completed'), 3);
    metrics.recordSweep(sweepReport('kept', 'Completed', { networks: { scanned: 1 } }), 1);
    metrics.setLiveOwners('Topology', 4);
    metrics.forgetPolicy('gone');
    const lines = await reaperLines(metrics);
    expect(lines.filter((line) => line.includes('"gone"'))).toEqual([]);
    expect(lines).toEqual(
      expect.arrayContaining([
        'reaper_sweeps_total{policy="kept",outcome="Completed"} 1',
        'reaper_resources_scanned{policy="kept",kind="networks"} 1',
        'reaper_sweep_duration_seconds_count{policy="kept"} 1',
        'reaper_sweep_blocked{policy="kept"} 0',
        'reaper_live_owners{kind="Topology"} 4',
      ]),
    );
  });

  test('owners, informers, API requests and teardowns', async () => {
    const metrics = new ReaperMetrics();
    metrics.setLiveOwners('Topology', 2);
    metrics.setLiveOwners('Topology', 5);
    metrics.setLiveOwners('Sandbox', 0);
    metrics.setInformerHealthy('reaper.dev/v1alpha1/topologies', true);
    metrics.setInformerHealthy('v1/pods@team-a', false);
    metrics.setInformerHealthy('v1/services', true);
    metrics.forgetInformer('v1/services');
    metrics.recordTeardown('Topology', 'Reaped');
    metrics.recordTeardown('Topology', 'Failed');
    metrics.recordTeardown('Topology', 'Reaped');
    const lines = await reaperLines(metrics);
    expect(lines).toEqual(
      expect.arrayContaining([
        'reaper_live_owners{kind="Topology"} 5',
        'reaper_live_owners{kind="Sandbox"} 0',
        'reaper_informer_healthy{target="reaper.dev/v1alpha1/topologies"} 1',
        'reaper_informer_healthy{target="v1/pods@team-a"} 0',
        'reaper_teardowns_total{kind="Topology",result="Reaped"} 2',
        'reaper_teardowns_total{kind="Topology",result="Failed"} 1',
      ]),
    );
    expect(lines.some((line) => line.includes('v1/services'))).toBe(false);
  });

  test('default process metrics keep their usual names; two instances do not collide', async () => {
    const first = new ReaperMetrics();
    const second = new ReaperMetrics();
    first.recordTeardown('Topology', 'Reaped');
    const text = await first.metrics();
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toContain('# TYPE reaper_sweeps_total counter');
    expect(text).toContain('# TYPE reaper_sweep_duration_seconds histogram');
    expect(text).toContain('reaper_teardowns_total{kind="Topology",result="Reaped"} 1');
    expect(await second.metrics()).not.toContain('reaper_teardowns_total{kind="Topology",result="Reaped"}');
    expect(first.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  test("the event-loop delay is sampled every 100 ms, not prom-client's 10 ms: an idle agent stays asleep", () => {
    const monitor = jest.spyOn(perfHooks, 'monitorEventLoopDelay');
    try {
      new ReaperMetrics();
      expect(monitor.mock.calls.map(([options]) => options?.resolution)).toEqual([EVENT_LOOP_SAMPLE_MS]);
      expect(EVENT_LOOP_SAMPLE_MS).toBe(100);
    } finally {
      monitor.mockRestore();
    }
  });
});
