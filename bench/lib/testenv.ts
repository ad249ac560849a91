// The real engines, brought up the way the integration tests do it: `scripts/testenv up` reuses
// what already runs; its variables go into this process (and so into any child it starts). What
// this process started it stops at the end, unless REAPER_KEEP_TESTENV=1.
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';

const TESTENV = path.join(import.meta.dirname, '..', '..', 'scripts', 'testenv');

export type Engines = 'docker' | 'kube' | 'all';

/**
 * A Kubernetes of the benchmarks' own (etcd, kube-apiserver, kube-controller-manager from
 * scripts/testenv in another state directory) beside the shared Docker engine: a controller under
 * test then sees no one else's ReapPolicies, no one else's controller sees the benchmark's, and the
 * API server's request counters hold only the benchmark's traffic.
 */
export const BENCH_KUBE_DIR = path.join(tmpdir(), 'reaper-bench-testenv');

/**
 * Starts (or reuses) the engines of one testenv state directory (default: the shared one) and
 * puts its variables into this process; returns a function that stops them if they were started
 * here.
 */
export function testenvUp(engines: Engines, stateDir?: string): () => void {
  const env = stateDir ? { ...process.env, REAPER_TESTENV_DIR: stateDir } : process.env;
  const alreadyUp = spawnSync(TESTENV, ['status', engines], { stdio: 'ignore', env }).status === 0;
  const up = spawnSync(TESTENV, ['up', engines], { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (up.status !== 0) {
    throw new Error(`scripts/testenv up ${engines} failed (${up.signal ?? `exit ${up.status}`}); see its output above`);
  }
  const variables = JSON.parse(execFileSync(TESTENV, ['env', '--json'], { encoding: 'utf8', env })) as Record<
    string,
    string
  >;
  Object.assign(process.env, variables);
  return () => {
    if (alreadyUp || process.env.REAPER_KEEP_TESTENV === '1') return;
    spawnSync(TESTENV, ['down'], { stdio: ['ignore', 'inherit', 'inherit'], env });
  };
}
