// Drives scripts/testenv, the one place that knows how to start the real engines.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = path.join(repoRoot, 'scripts', 'testenv');

export function testenvIsUp(): boolean {
  return spawnSync(script, ['status'], { stdio: 'ignore' }).status === 0;
}

/** Starts (or reuses) every engine; output streams to the terminal so a cold start shows progress. */
export function testenvUp(): void {
  const result = spawnSync(script, ['up'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    throw new Error(
      `scripts/testenv up failed (${result.signal ?? `exit ${result.status}`}). ` +
        `The engines the integration tests need could not start; its output above and the logs under ` +
        `${process.env.REAPER_TESTENV_DIR ?? '/tmp/reaper-testenv'}/logs say why.`,
    );
  }
}

export function testenvDown(): void {
  spawnSync(script, ['down'], { stdio: ['ignore', 'inherit', 'inherit'] });
}

/** The variables a process needs to reach the engines (KUBECONFIG, DOCKER_HOST, PATH, ...). */
export function testenvVariables(): Record<string, string> {
  const json = execFileSync(script, ['env', '--json'], { encoding: 'utf8' });
  return JSON.parse(json) as Record<string, string>;
}
