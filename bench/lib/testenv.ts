// The real engines, brought up the way the integration tests do it: `scripts/testenv up` reuses
// what already runs; its variables go into this process (and so into any child it starts). What
// this process started it stops at the end, unless REAPER_KEEP_TESTENV=1.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

const TESTENV = path.join(import.meta.dirname, '..', '..', 'scripts', 'testenv');

export type Engines = 'docker' | 'all';

/** Starts (or reuses) the engines; returns a function that stops them if they were started here. */
export function testenvUp(engines: Engines): () => void {
  const alreadyUp = spawnSync(TESTENV, ['status', engines], { stdio: 'ignore' }).status === 0;
  const up = spawnSync(TESTENV, ['up', engines], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (up.status !== 0) {
    throw new Error(`scripts/testenv up ${engines} failed (${up.signal ?? `exit ${up.status}`}); see its output above`);
  }
  const variables = JSON.parse(execFileSync(TESTENV, ['env', '--json'], { encoding: 'utf8' })) as Record<
    string,
    string
  >;
  Object.assign(process.env, variables);
  return () => {
    if (alreadyUp || process.env.REAPER_KEEP_TESTENV === '1') return;
    spawnSync(TESTENV, ['down'], { stdio: ['ignore', 'inherit', 'inherit'] });
  };
}

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: scripts/testenv up did not provide it`);
  return value;
}

export function kubectl(args: readonly string[], input?: string): string {
  try {
    return execFileSync('kubectl', args, {
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 1 << 28,
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

/** reaper's CRDs, as the integration tests install them (idempotent server-side apply). */
export function installCrds(): void {
  const crds = path.join(import.meta.dirname, '..', '..', 'crds');
  kubectl(['apply', '--server-side', '--force-conflicts', '-f', crds]);
  kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', crds]);
}
