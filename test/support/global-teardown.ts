// Tears down only what this run started: an environment someone brought up by hand stays up, and
// REAPER_KEEP_TESTENV=1 keeps this run's for the next one.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export default function globalTeardown(_globalConfig: unknown, projectConfig: { rootDir: string }): void {
  const startedHere = (globalThis as { reaperTestenvStartedHere?: boolean }).reaperTestenvStartedHere;
  if (!startedHere || process.env.REAPER_KEEP_TESTENV) return;
  spawnSync(path.join(projectConfig.rootDir, 'scripts', 'testenv'), ['down'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
