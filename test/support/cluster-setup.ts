// Global setup of the `node` jest project: the shared Docker engine (scripts/build-image and the
// test image live there) and the one-node cluster, through scripts/testenv. A cluster that cannot
// start fails the run: the tests that need it never skip. Jest loads this module as CommonJS,
// outside its ESM pipeline, so it imports nothing but node's own modules.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

export default function clusterSetup(_globalConfig: unknown, projectConfig: { rootDir: string }): void {
  const testenv = path.join(projectConfig.rootDir, 'scripts', 'testenv');
  const alreadyUp = spawnSync(testenv, ['status', 'cluster'], { stdio: 'ignore' }).status === 0;
  (globalThis as { reaperClusterStartedHere?: boolean }).reaperClusterStartedHere = !alreadyUp;

  for (const part of ['docker', 'cluster']) {
    const started = Date.now();
    const up = spawnSync(testenv, ['up', part], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (up.status !== 0) {
      throw new Error(
        `scripts/testenv up ${part} failed (${up.signal ?? `exit ${up.status}`}): the tests of the "node" project ` +
          `need a real one-node cluster. Its output above and the logs under ` +
          `${process.env.REAPER_TESTENV_DIR ?? '/tmp/reaper-testenv'}/cluster-logs say why.`,
      );
    }
    process.stderr.write(`cluster-setup: testenv up ${part} took ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  }
  const variables = JSON.parse(execFileSync(testenv, ['env', '--json'], { encoding: 'utf8' })) as Record<
    string,
    string
  >;
  Object.assign(process.env, variables);
  process.env.REAPER_CLUSTER_IMAGE = importReaperImage(projectConfig.rootDir, variables);
}

/**
 * reaper's image as users get it: scripts/build-image on the shared Docker engine, moved into the
 * node's containerd (`docker save | ctr images import`; the node pulls nothing) and removed from
 * Docker again. Returns the reference pods name it by (with pullPolicy Never).
 */
function importReaperImage(rootDir: string, env: Record<string, string>): string {
  const started = Date.now();
  const image = `reaper-node-test:${process.pid}-${Date.now().toString(36)}`;
  const built = spawnSync(path.join(rootDir, 'scripts', 'build-image'), ['-t', image], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (built.status !== 0) throw new Error(`scripts/build-image -t ${image} failed (exit ${built.status})`);
  try {
    const loaded = spawnSync(path.join(rootDir, 'scripts', 'testenv'), ['load-image', image], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...env },
    });
    if (loaded.status !== 0) throw new Error(`scripts/testenv load-image ${image} failed (exit ${loaded.status})`);
  } finally {
    spawnSync('docker', ['image', 'rm', image], { stdio: 'ignore' });
  }
  process.stderr.write(
    `cluster-setup: ${image} built and imported into the node in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
  );
  return image;
}
