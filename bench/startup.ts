// How long the reaper executable takes to answer before it does any work: `reaper --help` and a
// usage error, against a bare `node -e 0` run alternately in the same loop (so both see the same
// machine load). The build is the image's: tsc output run by plain node, no loader.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { buildController } from './lib/controller.js';
import type { BenchReport } from './lib/report.js';
import { fmtMs, median } from './lib/stats.js';
import type { RunOptions } from './run.js';

const DEFAULT_RUNS = 21;
/** The target: `reaper --help` within this many times a bare node start. */
const TARGET_RATIO = 3;

function timed(args: readonly string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: 'ignore' });
  const ms = performance.now() - start;
  if (result.error) throw result.error;
  return ms;
}

export async function runStartup(options: RunOptions): Promise<BenchReport> {
  const runs = options.runs ?? DEFAULT_RUNS;
  const build = buildController();
  try {
    const samples = { node: [] as number[], help: [] as number[], usage: [] as number[] };
    // One warm-up of each, untimed: the first start reads everything from disk.
    timed(['-e', '0']);
    timed([build.main, '--help']);
    for (let i = 0; i < runs; i++) {
      samples.node.push(timed(['-e', '0']));
      samples.help.push(timed([build.main, '--help']));
      samples.usage.push(timed([build.main, 'sweep']));
    }
    const medians = { node: median(samples.node), help: median(samples.help), usage: median(samples.usage) };
    const ratio = medians.help / medians.node;
    const row = (what: string, key: keyof typeof samples) =>
      `| ${what} | ${runs} | ${fmtMs(medians[key])} | ${(medians[key] / medians.node).toFixed(2)} × | ${samples[key].map(fmtMs).join(', ')} |`;
    return {
      setup: [
        `node ${process.version}; the executable built with tsconfig.build.json and run by plain node`,
        'runs alternate: node -e 0, reaper --help, reaper sweep (a usage error: no --policy), each a new process',
      ],
      sections: [
        [
          '| command | runs | wall (median) | vs node -e 0 | individual runs |',
          '| --- | --- | --- | --- | --- |',
          row('node -e 0', 'node'),
          row('reaper --help', 'help'),
          row('reaper sweep (usage error)', 'usage'),
        ].join('\n'),
      ],
      targets: [
        {
          what: `reaper --help within ${TARGET_RATIO} × a bare node -e 0`,
          measured: `${fmtMs(medians.help)} against ${fmtMs(medians.node)}: ${ratio.toFixed(2)} ×`,
          met: ratio <= TARGET_RATIO,
          limits: 'the modules loaded before the command is known (commander, and whatever program.ts imports eagerly)',
        },
      ],
    };
  } finally {
    build.remove();
  }
}
