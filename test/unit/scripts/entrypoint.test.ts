// The image has two recipes (scripts/build-image here, the Dockerfile where a registry is reachable);
// both must start the agent the same way, V8 flags and malloc settings included.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const repo = path.join(import.meta.dirname, '..', '..', '..');

test("the Dockerfile's ENTRYPOINT is scripts/build-image's", () => {
  const built = JSON.parse(
    execFileSync(path.join(repo, 'scripts', 'build-image'), ['entrypoint'], { encoding: 'utf8' }),
  );
  const line = readFileSync(path.join(repo, 'Dockerfile'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('ENTRYPOINT '));
  expect(line).toBeDefined();
  expect(JSON.parse(line!.slice('ENTRYPOINT '.length))).toEqual(built);
  expect(built).toEqual(expect.arrayContaining(['node', '/app/reaper/main.js', '--max-semi-space-size=1']));
});

test("the Dockerfile sets scripts/build-image's environment for the agent", () => {
  const built = JSON.parse(
    execFileSync(path.join(repo, 'scripts', 'build-image'), ['env'], { encoding: 'utf8' }),
  ) as Record<string, string>;
  const dockerfile = readFileSync(path.join(repo, 'Dockerfile'), 'utf8');
  expect(Object.keys(built)).toContain('GLIBC_TUNABLES');
  for (const [name, value] of Object.entries(built)) expect(dockerfile).toContain(`ENV ${name}=${value}\n`);
});
