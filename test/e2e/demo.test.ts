// `npm run demo`, the README's main job, run as a user runs it: it must reap the orphans and keep
// the live, foreign and kept resources, which the demo itself checks against the real engine.
import { spawnSync } from 'node:child_process';

test('npm run demo reaps the orphans and keeps everything else', () => {
  const run = spawnSync('npm', ['run', '--silent', 'demo'], { cwd: process.cwd(), encoding: 'utf8' });
  const output = run.stdout + run.stderr;
  expect(output).toMatch(/outcome Completed {2}live owners 3/);
  expect(output).toMatch(/^Reaped\s+containers\s+reaper-demo\.lab-gone\.r1/m);
  expect(output).toMatch(/^Skipped\s+networks\s+reaper-demo\.lab-gone\.core .* in use by reaper-demo-foreign-guest$/m);
  expect(output).not.toMatch(/✘/);
  expect(output.match(/✔/g)).toHaveLength(8);
  expect(run.status).toBe(0);
});
