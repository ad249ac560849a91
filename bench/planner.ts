// `planner`: planReap's time and memory for 10k, 100k and 1M runtime resources against half as
// many live owners. Each run is a fresh process (bench/planner-child.ts) so memory deltas belong to
// that size alone; within it the first plan is "cold" (code not yet optimized), the rest "warm".
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PlannerChildResult } from './planner-child.js';
import { PLANNER_MAX_DELETIONS } from './lib/planner-input.js';
import { breakdown, describeBreakdown } from './lib/cpu-profile.js';
import type { BenchReport, Target } from './lib/report.js';
import { table } from './lib/report.js';
import { fmtMiB, fmtMs, growthExponent, median } from './lib/stats.js';

const SIZES = [
  { size: 10_000, runs: 5, warm: 5 },
  { size: 100_000, runs: 5, warm: 5 },
  { size: 1_000_000, runs: 3, warm: 2 },
];
const TARGET_100K_MS = 200;
/** Growth exponent (slope of log time against log size) up to which growth counts as linear. */
const LINEAR_EXPONENT = 1.15;

export interface PlannerOptions {
  /** Overrides the number of runs per size (each a fresh process). */
  readonly runs?: number;
}

export async function runPlanner(options: PlannerOptions = {}): Promise<BenchReport> {
  const repo = path.join(import.meta.dirname, '..');
  const rows: string[][] = [];
  const runRows: string[][] = [];
  const points: { x: number; y: number }[] = [];
  const coldPoints: { x: number; y: number }[] = [];
  const medians = new Map<number, { warm: number; cold: number }>();
  let decisionsLine = '';

  const child = (size: number, warm: number, profile?: string): PlannerChildResult => {
    const args = ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', 'bench/planner-child.ts'];
    const out = execFileSync(process.execPath, [...args, String(size), String(warm), ...(profile ? [profile] : [])], {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 24,
    });
    return JSON.parse(out.trim().split('\n').pop()!) as PlannerChildResult;
  };

  for (const { size, runs: defaultRuns, warm: warmRuns } of SIZES) {
    const runs = options.runs ?? defaultRuns;
    const results: PlannerChildResult[] = [];
    for (let run = 1; run <= runs; run++) {
      const result = child(size, warmRuns);
      results.push(result);
      const warmMedian = median(result.warmMs);
      console.error(
        `planner ${size}: run ${run}/${runs}: cold ${fmtMs(result.coldMs)}, warm median ${fmtMs(warmMedian)}, ` +
          `heap retained ${fmtMiB(result.heapRetained)}, rss +${fmtMiB(result.rssGrowth)}`,
      );
      runRows.push([
        fmtCount(size),
        String(run),
        fmtMs(result.coldMs),
        result.warmMs.map(fmtMs).join(', '),
        `${((100 * result.warmGcMs) / result.warmMs.reduce((a, b) => a + b, 0)).toFixed(1)}%`,
        fmtMiB(result.heapRetained),
        fmtMiB(result.heapGrowth),
        fmtMiB(result.rssGrowth),
      ]);
    }
    const warm = median(results.map((r) => median(r.warmMs)));
    const cold = median(results.map((r) => r.coldMs));
    medians.set(size, { warm, cold });
    points.push({ x: size, y: warm });
    coldPoints.push({ x: size, y: cold });
    rows.push([
      fmtCount(size),
      fmtCount(size / 2),
      String(results.length),
      fmtMs(warm),
      fmtMs(cold),
      `${((warm * 1e6) / size).toFixed(0)} ns`,
      fmtMiB(median(results.map((r) => r.heapRetained))),
      fmtMiB(median(results.map((r) => r.heapGrowth))),
      fmtMiB(median(results.map((r) => r.rssGrowth))),
    ]);
    const d = results[0]!.decisions;
    decisionsLine += `${fmtCount(size)}: ${Object.entries(d)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; orphans ${results[0]!.orphanPercent.toFixed(1)}%. `;
  }

  // Where the time goes at 100k: a profile of warm runs in one more process, always taken so the
  // record says what dominates whether or not the target is met.
  const dir = mkdtempSync(path.join(tmpdir(), 'reaper-bench-planner-'));
  let profileLine: string;
  try {
    const file = path.join(dir, 'planner-100k.cpuprofile');
    child(100_000, 10, file);
    profileLine = describeBreakdown(breakdown(file, 'planReap'), 'planReap');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const limits100k =
    `CPU profile of planReap at 100k (warm, sampled every 100 µs): ${profileLine}. What is left is a hash lookup or ` +
    `two per resource, each a cache miss into a table larger than the cache: the live-key Set per claim (isLive), ` +
    `the lease Map per container id (link), the grace state per orphan (firstSeenOrphaned); then the uid shape ` +
    `check, the first read of each key (owner-key-shape), and an item and a reason per resource.`;

  const exponent = growthExponent(points);
  const coldExponent = growthExponent(coldPoints);
  const at100k = medians.get(100_000)!;
  const targets: Target[] = [
    {
      what: `100k resources planned in under ${TARGET_100K_MS} ms (warm median)`,
      measured: `${fmtMs(at100k.warm)} warm, ${fmtMs(at100k.cold)} cold`,
      met: at100k.warm < TARGET_100K_MS,
      limits: limits100k,
    },
    {
      what: `100k resources planned in under ${TARGET_100K_MS} ms (cold: the first plan of a process)`,
      measured: fmtMs(at100k.cold),
      met: at100k.cold < TARGET_100K_MS,
      limits:
        `the warm costs above, plus ${fmtMs(at100k.cold - at100k.warm)} of a first call that runs before V8 has ` +
        `optimized planReap and its callees`,
    },
    {
      what: `growth linear (slope of log time over log size at most ${LINEAR_EXPONENT}; n log n over 10k..1M is about 1.09)`,
      measured: `exponent ${exponent.toFixed(2)} warm, ${coldExponent.toFixed(2)} cold`,
      met: exponent <= LINEAR_EXPONENT,
      limits: 'see the per-resource time column: the size where it rises is where the growth departs from linear',
    },
  ];

  return {
    setup: [
      `input: N resources (50% containers, 20% IP leases, 20% networks, 10% volumes) against N/2 live owners; ` +
        `10% of owned resources orphaned, 4% foreign, 1% keep; half the orphans past their grace period; ` +
        `maxDeletionsPerSweep ${PLANNER_MAX_DELETIONS}, so the deletion limit runs at every size (bench/lib/planner-input.ts)`,
      `each run is a fresh \`node --expose-gc\` process; "cold" is its first planReap, "warm" the median of the next ones (GC forced between them)`,
      `memory: heap retained = heapUsed after planning and a forced GC, plan alive, minus before; heap growth = the same without the GC; rss = RSS growth across the first plan`,
    ],
    sections: [
      table(
        [
          'resources',
          'live owners',
          'runs',
          'warm (median)',
          'cold (median)',
          'warm per resource',
          'heap retained',
          'heap growth',
          'rss growth',
        ],
        rows,
      ),
      'Individual runs:\n\n' +
        table(
          ['resources', 'run', 'cold', 'warm runs', 'GC in warm runs', 'heap retained', 'heap growth', 'rss growth'],
          runRows,
        ),
      `Decisions (first run of each size): ${decisionsLine.trim()}`,
      `Where planReap's time goes at 100k: ${profileLine}.`,
    ],
    targets,
  };
}

function fmtCount(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n);
}
