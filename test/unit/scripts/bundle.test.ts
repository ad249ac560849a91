// The image's bundle (scripts/bundle.ts): the commands run from it, ssh2's WebAssembly is compiled
// only when DOCKER_HOST asks for ssh, and BuildKit's gRPC is not in it at all.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleAgent } from '../../../scripts/bundle.js';
import { policyFile } from '../../support/reaper-cli.js';

const work = mkdtempSync(path.join(tmpdir(), 'reaper-bundle-'));
let main: string;

// Reports every WebAssembly compilation on stderr, so a test can tell whether ssh2 was loaded.
const WASM_PROBE =
  'data:text/javascript,' +
  encodeURIComponent(
    `for (const name of ['compile', 'instantiate']) { const real = WebAssembly[name]; WebAssembly[name] = (...a) => { process.stderr.write('wasm compiled\\n'); return real(...a); }; }
     const RealModule = WebAssembly.Module; WebAssembly.Module = function (...a) { process.stderr.write('wasm compiled\\n'); return new RealModule(...a); };`,
  );

beforeAll(async () => {
  main = (await bundleAgent(path.join(work, 'reaper'))).main;
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

function reaper(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, ['--import', WASM_PROBE, main, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

test('--help lists every command, run included', () => {
  const help = reaper(['--help']);
  expect(help.code).toBe(0);
  for (const command of ['sweep', 'plan', 'apply', 'run'])
    expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
});

test('commands stay in chunks of their own: --help loads no Kubernetes client', () => {
  const entry = readFileSync(main, 'utf8');
  expect(entry).not.toContain('CoreV1Api');
  expect(readdirSync(path.dirname(main)).filter((f) => f.endsWith('.js')).length).toBeGreaterThan(3);
});

describe('a sweep on a Docker host that does not answer', () => {
  const dir = path.join(work, 'sweep');
  mkdirSync(path.join(dir, 'owners'), { recursive: true });
  const { file } = policyFile(dir);
  const sweep = (dockerHost: string) =>
    reaper(['sweep', '--policy', file, '--owners-from', path.join(dir, 'owners'), '-o', 'json'], {
      DOCKER_HOST: dockerHost,
    });

  test('over a unix socket, fails closed without compiling ssh2', () => {
    const run = sweep(`unix://${path.join(dir, 'no.sock')}`);
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/ENOENT/);
    expect(run.stderr).not.toContain('wasm compiled');
  });

  test('over ssh, loads ssh2 on first use and fails closed', () => {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    const run = sweep('ssh://nobody@127.0.0.1:9');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('wasm compiled');
    expect(run.stdout + run.stderr).toMatch(/ECONNREFUSED/);
  });
});

test("dockerode's BuildKit session is left out, and says so if called", () => {
  const code = readdirSync(path.dirname(main))
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(path.join(path.dirname(main), f), 'utf8'))
    .join('\n');
  expect(code).not.toContain('@grpc/grpc-js');
  expect(code).toContain("session.js is not part of reaper's bundle");
});
