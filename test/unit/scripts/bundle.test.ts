// The image's bundle (scripts/bundle.ts): the commands run from it, ssh2's WebAssembly is compiled
// only when DOCKER_HOST asks for ssh, BuildKit's gRPC and whatwg-url are not in it at all, and of
// client-node's generated APIs only those reaper calls are.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  const code = bundledCode();
  expect(code).not.toContain('@grpc/grpc-js');
  expect(code).toContain("session.js is not part of reaper's bundle");
});

function bundledCode(): string {
  return readdirSync(path.dirname(main))
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(path.join(path.dirname(main), f), 'utf8'))
    .join('\n');
}

test("of client-node's generated APIs, only those reaper calls are bundled", () => {
  const code = bundledCode();
  // Leases (leader election), custom objects (status, reports). Checked by presence, so a failure
  // names the path rather than printing megabytes of bundle.
  const called = [
    '/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}',
    '/apis/{group}/{version}/{plural}/{name}/status',
  ];
  // APIs no reaper code names; a dynamic import of client-node's index would keep them all.
  const uncalled = ['/apis/batch/v1/namespaces/{namespace}/cronjobs', '/apis/storage.k8s.io/v1/storageclasses'];
  expect(called.filter((p) => !code.includes(p))).toEqual([]);
  expect(uncalled.filter((p) => code.includes(p))).toEqual([]);
});

test("node-fetch goes out on node's URL: whatwg-url is left out and a request still reaches the server", async () => {
  expect(bundledCode().includes("whatwg-url.js is not part of reaper's bundle")).toBe(true);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const kubeconfig = path.join(work, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        // client-node speaks plain HTTP only when told to skip TLS verification.
        clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'u', user: {} }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    // Asynchronous: the server answers from this process's event loop.
    const stderr = await new Promise<string>((resolve) =>
      execFile(
        process.execPath,
        [main, 'plan', '--policy', 'no-such-policy', '--owners-from', path.join(work, 'none')],
        { env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 60_000 },
        (_err, _stdout, err) => resolve(err),
      ),
    );
    expect(requests).toEqual(['GET /apis/reaper.dev/v1alpha1/reappolicies/no-such-policy']);
    expect(stderr).toContain('no ReapPolicy named no-such-policy in the cluster');
  } finally {
    server.close();
  }
});
