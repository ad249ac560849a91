// The Docker socket is root on the node (docs/security.md), so the calls reaper makes through it are
// part of its security contract. A transparent proxy in front of the real engine records every
// request line of a `reaper sweep` that has everything to do: a running orphan to stop, stopped
// orphans with an anonymous volume and a lease, an orphaned network, a network a foreign container
// is attached to, a labelled volume. Every call must be one of the endpoints docs/security.md lists.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requiredEnv } from '../../../support/engines.js';
import { RuntimeFixtures } from '../../../support/runtime-fixtures.js';
import type { SweepReport } from '../../../support/reaper-cli.js';
import { ownersDir, policyFile, startReaper } from '../../../support/reaper-cli.js';

const fx = new RuntimeFixtures('docker-calls');
const work = mkdtempSync(path.join(tmpdir(), 'reaper-docker-calls-'));
const requests: string[] = [];
let proxy: net.Server;
const proxySocket = path.join(work, 'docker.sock');

beforeAll(async () => {
  const engine = requiredEnv('DOCKER_HOST').replace(/^unix:\/\//, '');
  proxy = net.createServer((client) => {
    const upstream = net.connect(engine);
    let pending = '';
    client.on('data', (chunk: Buffer) => {
      // Request lines only. A body does not end in CRLF, so the next request on a kept-alive
      // connection starts on the body's last line: look at the end of every line, not its start.
      pending += chunk.toString('latin1');
      const lines = pending.split('\r\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const request = /(?:^|[^A-Z])([A-Z]+ \/\S* HTTP\/1\.[01])$/.exec(line);
        if (request) requests.push(request[1]!);
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('end', () => upstream.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(proxySocket, resolve));
});

afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
  rmSync(work, { recursive: true, force: true });
  await fx.cleanUp();
});

const ID = '[0-9a-f]{64}';
const NAME = '[A-Za-z0-9][A-Za-z0-9_.-]*';
/** docs/security.md, "The Docker calls reaper makes": method, path, and the query keys it may carry. */
const ALLOWED: { method: string; path: RegExp; query: string[] }[] = [
  { method: 'GET', path: /^\/_ping$/, query: [] },
  { method: 'GET', path: /^\/containers\/json$/, query: ['all', 'filters'] },
  { method: 'GET', path: new RegExp(`^/containers/${ID}/json$`), query: [] },
  { method: 'POST', path: new RegExp(`^/containers/${ID}/stop$`), query: ['t'] },
  { method: 'DELETE', path: new RegExp(`^/containers/${ID}$`), query: ['v'] },
  { method: 'GET', path: /^\/networks$/, query: ['filters'] },
  { method: 'GET', path: new RegExp(`^/networks/${ID}$`), query: [] },
  { method: 'DELETE', path: new RegExp(`^/networks/${ID}$`), query: [] },
  { method: 'GET', path: /^\/volumes$/, query: ['filters'] },
  { method: 'GET', path: new RegExp(`^/volumes/${NAME}$`), query: [] },
  { method: 'DELETE', path: new RegExp(`^/volumes/${NAME}$`), query: [] },
];

interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  line: string;
}

/** A recorded request line, without the API version prefix. */
function callOf(line: string): Call {
  const [method = '', target = ''] = line.split(' ');
  const url = new URL(target, 'http://docker');
  return { method, path: url.pathname.replace(/^\/v1\.\d+/, ''), query: url.searchParams, line };
}

function allowed(call: Call): boolean {
  return ALLOWED.some(
    (rule) =>
      rule.method === call.method &&
      rule.path.test(call.path) &&
      [...call.query.keys()].every((key) => rule.query.includes(key)),
  );
}

test('a sweep that stops and removes containers, networks, volumes and leases calls only the Docker endpoints listed in docs/security.md', async () => {
  const network = `leases-${randomUUID().slice(0, 8)}`;
  const { file, owned } = policyFile(work, {
    resources: {
      containers: { running: 'Stop', stopTimeoutSeconds: 1 },
      networks: { enabled: true },
      volumes: { enabled: true },
      ipLeases: { enabled: true, cniDir: fx.cniDir, networks: [network] },
    },
  });
  const gone = owned(randomUUID());
  const orphanNet = await fx.network('orphan-net', gone);
  const busyNet = await fx.network('busy-net', gone);
  const running = await fx.container('running', { labels: gone, network: fx.name('orphan-net') });
  const stopped = await fx.container('stopped', { labels: gone, running: false, anonymousVolume: true });
  const foreign = await fx.container('foreign', { running: true, network: fx.name('busy-net') });
  const volume = await fx.volume('vol', gone);
  const lease = await fx.lease(network, stopped);

  const run = await startReaper(['sweep', '--policy', file, '--owners-from', ownersDir(work, []), '-o', 'json'], {
    DOCKER_HOST: `unix://${proxySocket}`,
  });
  expect(run.stderr).toBe('');
  const report = JSON.parse(run.stdout) as SweepReport;
  // It did everything there was to do (the busy network stays: a foreign container is on it)...
  expect(await fx.exists('container', running)).toBe(false);
  expect(await fx.exists('container', stopped)).toBe(false);
  expect(await fx.exists('network', orphanNet)).toBe(false);
  expect(await fx.exists('volume', volume)).toBe(false);
  expect(existsSync(path.join(fx.cniDir, lease))).toBe(false);
  expect(await fx.exists('network', busyNet)).toBe(true);
  expect(await fx.exists('container', foreign)).toBe(true);
  expect(report.items).toEqual(expect.arrayContaining([expect.objectContaining({ id: busyNet, action: 'Skipped' })]));
  // ...through the proxy, with stops and removals of each kind...
  const calls = requests.map(callOf);
  expect(calls.some((c) => c.method === 'POST' && c.path.endsWith('/stop'))).toBe(true);
  for (const kind of ['containers', 'networks', 'volumes']) {
    expect(calls.some((c) => c.method === 'DELETE' && c.path.startsWith(`/${kind}/`))).toBe(true);
  }
  // ...and nothing but the listed calls: no create, start, exec, kill, pull, disconnect, prune, force.
  expect(calls.filter((c) => !allowed(c)).map((c) => c.line)).toEqual([]);
  // Containers go with their anonymous volumes, each with its own call, never forced.
  expect(
    calls.filter((c) => c.method === 'DELETE' && c.path.startsWith('/containers/')).map((c) => c.query.toString()),
  ).toEqual(['v=true', 'v=true']);
}, 300_000);
