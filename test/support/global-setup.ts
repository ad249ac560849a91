// Brings up the real engines once per run through scripts/testenv. Jest loads this module as
// CommonJS, outside its ESM pipeline, so it imports nothing but node's own modules.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

export default function globalSetup(_globalConfig: unknown, projectConfig: { rootDir: string }): void {
  const testenv = path.join(projectConfig.rootDir, 'scripts', 'testenv');
  const alreadyUp = spawnSync(testenv, ['status'], { stdio: 'ignore' }).status === 0;
  (globalThis as { reaperTestenvStartedHere?: boolean }).reaperTestenvStartedHere = !alreadyUp;

  const up = spawnSync(testenv, ['up'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (up.status !== 0) {
    throw new Error(
      `scripts/testenv up failed (${up.signal ?? `exit ${up.status}`}): the engines the integration tests need ` +
        `could not start. Its output above and the logs under ` +
        `${process.env.REAPER_TESTENV_DIR ?? '/tmp/reaper-testenv'}/logs say why.`,
    );
  }
  // Jest starts its workers after this returns, so they inherit these variables.
  const variables = JSON.parse(execFileSync(testenv, ['env', '--json'], { encoding: 'utf8' })) as Record<
    string,
    string
  >;
  Object.assign(process.env, variables);
}
