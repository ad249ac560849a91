// Runs one benchmark: `npm run bench -- <name> [--runs N] [--no-record]`. Prints its figures and
// appends them, with the machine, the date and the individual runs, to bench/results.md.
import { parseArgs } from 'node:util';
import type { BenchReport } from './lib/report.js';
import { appendRecord, renderRecord, RESULTS_FILE } from './lib/report.js';
import { onCleanup } from './lib/cleanup.js';
import { loadAverage, revision } from './lib/machine.js';
import { describePace } from './lib/pace.js';
import type { Engines } from './lib/testenv.js';
import { BENCH_KUBE_DIR, testenvUp } from './lib/testenv.js';
import { runFleet } from './fleet.js';
import { runFootprint } from './footprint.js';
import { runPlanner } from './planner.js';
import { runReaction } from './reaction.js';
import { runReapFloor } from './reap-floor.js';
import { runStartup } from './startup.js';

export interface RunOptions {
  /** Runs (median over them); each benchmark has its own default. */
  readonly runs?: number;
}

interface Benchmark {
  readonly description: string;
  /**
   * The engines it needs, brought up (or reused) by scripts/testenv; `own-kube` is the shared Docker
   * engine with a Kubernetes of the benchmarks' own (BENCH_KUBE_DIR), which is stopped afterwards
   * if this run started it.
   */
  readonly engines?: Engines | 'own-kube';
  readonly run: (options: RunOptions) => Promise<BenchReport>;
}

const BENCHMARKS: Record<string, Benchmark> = {
  planner: {
    description: 'planReap time and memory for 10k, 100k and 1M resources against half as many owners',
    run: (o) => runPlanner(o),
  },
  'reap-floor': {
    description: '1,000 orphaned containers and 100 networks: reaper against the floor and a naive reaper',
    engines: 'own-kube',
    run: (o) => runReapFloor(o),
  },
  reaction: {
    description: 'time from deleting an owner to all its resources gone, controller running, 1,000 live owners',
    engines: 'own-kube',
    run: (o) => runReaction(o),
  },
  startup: {
    description: 'how long reaper --help and a usage error take against a bare node -e 0',
    run: (o) => runStartup(o),
  },
  fleet: {
    description:
      'hollow agents (the real agent code, an in-memory engine each) at 100, 500 and 1,000 nodes: object sizes, writes, watch traffic, reaction',
    engines: 'own-kube',
    run: () => runFleet(),
  },
  footprint: {
    description: "the controller's memory, CPU and API requests per sweep with 20,000 owners and 10,000 containers",
    engines: 'own-kube',
    run: (o) => runFootprint(o),
  },
};

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { runs: { type: 'string' }, 'no-record': { type: 'boolean', default: false } },
  });
  const name = positionals[0];
  const benchmark = name === undefined ? undefined : BENCHMARKS[name];
  if (!benchmark || positionals.length > 1) {
    console.error('usage: npm run bench -- <name> [--runs N] [--no-record]\n\nbenchmarks:');
    for (const [n, b] of Object.entries(BENCHMARKS)) console.error(`  ${n.padEnd(11)} ${b.description}`);
    return 64;
  }
  const runs = values.runs === undefined ? undefined : Number(values.runs);
  if (runs !== undefined && !(Number.isInteger(runs) && runs >= 1)) {
    console.error(`--runs ${values.runs}: a whole number of at least 1`);
    return 64;
  }
  const command = ['npm run bench --', ...process.argv.slice(2)].join(' ');
  // Also on Ctrl-C: registered first, so it runs after the benchmark's own cleanup.
  const down = onCleanup(engines(benchmark.engines));
  try {
    const started = new Date();
    const loadAtStart = loadAverage();
    const paceAtStart = describePace();
    // Read before the run: the code measured is the code of its start, whatever lands meanwhile.
    const measured = revision();
    const report = await benchmark.run(runs === undefined ? {} : { runs });
    const pace = { start: paceAtStart, end: describePace() };
    const record = renderRecord(name!, command, started, loadAtStart, measured, report, pace);
    process.stdout.write(`\n${record}`);
    if (!values['no-record']) {
      appendRecord(record);
      console.error(`bench: appended to ${RESULTS_FILE}`);
    }
    return 0;
  } finally {
    await down();
  }
}

/** Brings the engines up; returns what stops the benchmarks' own Kubernetes if this run started it. */
function engines(needed: Benchmark['engines']): () => void {
  if (needed === undefined) return () => undefined;
  // The shared engines are never stopped here: others' tests may be using them by now.
  testenvUp(needed === 'own-kube' ? 'docker' : needed);
  return needed === 'own-kube' ? testenvUp('kube', BENCH_KUBE_DIR) : () => undefined;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
