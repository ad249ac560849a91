// One planner measurement in a fresh process (so memory deltas are this size's alone):
//   node --expose-gc --import tsx bench/planner-child.ts SIZE WARM_RUNS
// Prints one JSON line: the first (cold) plan's time and memory, then warm runs' times. With a
// third argument, the warm runs (and only they, with no forced GC between them) are CPU-profiled
// into that file.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { planReap } from '../src/core/planner.js';
import { plannerInput } from './lib/planner-input.js';

export interface PlannerChildResult {
  readonly size: number;
  readonly buildMs: number;
  readonly coldMs: number;
  readonly warmMs: number[];
  /** Time in garbage collections the runtime started itself (not forced) during the warm runs. */
  readonly warmGcMs: number;
  /** Heap still held after planning and a full GC, with the plan alive: the plan's own size. */
  readonly heapRetained: number;
  /** Heap growth across the first plan, before any forced GC: allocation the GC had not yet reclaimed. */
  readonly heapGrowth: number;
  /** Resident memory growth across the first plan. */
  readonly rssGrowth: number;
  readonly selected: number;
  readonly decisions: Record<string, number>;
  readonly orphanPercent: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const size = Number(process.argv[2]);
const warmRuns = Number(process.argv[3] ?? 5);
const profileFile = process.argv[4];
if (!Number.isInteger(size) || size <= 0) throw new Error(`bad size ${process.argv[2]}`);

const t0 = performance.now();
const input = plannerInput(size);
const buildMs = performance.now() - t0;

gc();
gc();
const before = process.memoryUsage();
const c0 = performance.now();
let plan: ReturnType<typeof planReap> | undefined = planReap(
  input.snapshot,
  input.live,
  input.policy,
  input.grace,
  input.now,
);
const coldMs = performance.now() - c0;
const after = process.memoryUsage();
gc();
gc();
const retained = process.memoryUsage();

const decisions: Record<string, number> = {};
for (const item of plan.items) decisions[item.decision] = (decisions[item.decision] ?? 0) + 1;
const selected = plan.selected.length;
const orphanPercent = plan.orphanPercent;
plan = undefined;

const session = profileFile ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  gc();
  await session.post('Profiler.start');
}
let warmGcMs = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const flags = (entry as { detail?: { flags?: number } }).detail?.flags ?? 0;
    if ((flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) === 0) warmGcMs += entry.duration;
  }
});
const warmMs: number[] = [];
observer.observe({ entryTypes: ['gc'] });
for (let i = 0; i < warmRuns; i++) {
  if (!session) gc();
  const w0 = performance.now();
  plan = planReap(input.snapshot, input.live, input.policy, input.grace, input.now);
  warmMs.push(performance.now() - w0);
  plan = undefined;
}
await sleep(50);
observer.disconnect();
if (session && profileFile) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(profileFile, JSON.stringify(profile));
  session.disconnect();
}

const result: PlannerChildResult = {
  size,
  buildMs,
  coldMs,
  warmMs,
  warmGcMs,
  heapRetained: retained.heapUsed - before.heapUsed,
  heapGrowth: after.heapUsed - before.heapUsed,
  rssGrowth: after.rss - before.rss,
  selected,
  decisions,
  orphanPercent,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
