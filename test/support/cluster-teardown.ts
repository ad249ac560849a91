// Takes the one-node cluster down when this run started it (REAPER_KEEP_TESTENV=1 keeps it for the
// next run); the shared Docker engine and API server are left alone.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export default function clusterTeardown(_globalConfig: unknown, projectConfig: { rootDir: string }): void {
  const startedHere = (globalThis as { reaperClusterStartedHere?: boolean }).reaperClusterStartedHere;
  if (!startedHere || process.env.REAPER_KEEP_TESTENV) return;
  spawnSync(path.join(projectConfig.rootDir, 'scripts', 'testenv'), ['down', 'cluster'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
