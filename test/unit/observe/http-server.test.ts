import net from 'node:net';
import type { LogFields, Logger } from '../../../src/observe/logger.js';
import type { HealthResult, HealthSource, HttpServer, HttpServerOptions } from '../../../src/observe/http-server.js';
import { parseListenAddress, renderHealth, startHttpServer } from '../../../src/observe/http-server.js';
import { ReaperMetrics } from '../../../src/observe/metrics.js';

interface LogRecord {
  level: string;
  msg: string;
  fields: LogFields;
}

function recordingLogger(records: LogRecord[], bound: LogFields = {}): Logger {
  const log = (level: string) => (msg: string, fields?: LogFields) =>
    records.push({ level, msg, fields: { ...fields, ...bound } });
  return {
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: log('debug'),
    child: (component, fields) => recordingLogger(records, { ...bound, ...fields, component }),
  };
}

const healthy: HealthSource = () => ({ ok: true, checks: [{ name: 'informers', ok: true }] });

const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: Partial<HttpServerOptions> = {}) {
  const records: LogRecord[] = [];
  const metrics = options.metrics ?? new ReaperMetrics();
  const server = await startHttpServer({
    address: '127.0.0.1:0',
    metrics,
    healthz: healthy,
    readyz: healthy,
    logger: recordingLogger(records),
    ...options,
  });
  servers.push(server);
  const url = (path: string) => `http://${server.address}${path}`;
  return { server, metrics, records, url };
}

async function get(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, body: await response.text() };
}

async function ipv6LoopbackWorks(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });
}
const hasIpv6Loopback = await ipv6LoopbackWorks();

describe('parseListenAddress', () => {
  test.each<[string, string | undefined, number]>([
    [':8080', undefined, 8080],
    ['127.0.0.1:0', '127.0.0.1', 0],
    ['0.0.0.0:9090', '0.0.0.0', 9090],
    ['localhost:65535', 'localhost', 65535],
    ['[::1]:0', '::1', 0],
    ['[::]:8080', '::', 8080],
  ])('%s', (address, host, port) => {
    expect(parseListenAddress(address)).toEqual({ host, port });
  });

  test.each<[string, RegExp]>([
    ['8080', /not host:port/],
    ['', /not host:port/],
    ['localhost', /not host:port/],
    ['localhost:', /not host:port/],
    [':http', /not host:port/],
    ['::1:8080', /not host:port/],
    ['[::1:8080', /not host:port/],
    ['a b:80', /not host:port/],
    ['http://localhost:80', /not host:port/],
    ['127.0.0.1:-1', /not host:port/],
    ['127.0.0.1:65536', /port 65536 is out of range/],
    ['[127.0.0.1]:80', /"127.0.0.1" is not an IPv6 address/],
    ['[]:80', /"" is not an IPv6 address/],
  ])('rejects %j', (address, why) => {
    const error = (() => {
      try {
        parseListenAddress(address);
      } catch (thrown) {
        return thrown as Error;
      }
      throw new Error('no error thrown');
    })();
    expect(error.message).toMatch(why);
    expect(error.message).toContain(`invalid listen address "${address}"`);
    expect(error.message).toContain('want host:port, [ipv6]:port or :port');
  });
});

describe('renderHealth', () => {
  const mixed: HealthResult = {
    ok: false,
    checks: [
      { name: 'informers', ok: true },
      { name: 'docker', ok: false, message: 'cannot reach Docker:\n  connect ENOENT' },
      { name: 'leader', ok: false },
    ],
  };

  test.each<[string, HealthResult, boolean, string]>([
    ['healthy, terse', { ok: true, checks: [{ name: 'a', ok: true }] }, false, 'ok\n'],
    ['healthy, verbose', { ok: true, checks: [{ name: 'a', ok: true }] }, true, '[+]a ok\nreadyz check passed\n'],
    [
      'failed, terse: only failed checks, messages on one line',
      mixed,
      false,
      '[-]docker failed: cannot reach Docker: connect ENOENT\n[-]leader failed\nreadyz check failed\n',
    ],
    [
      'failed, verbose: every check',
      mixed,
      true,
      '[+]informers ok\n[-]docker failed: cannot reach Docker: connect ENOENT\n[-]leader failed\nreadyz check failed\n',
    ],
    ['failed without checks', { ok: false, checks: [] }, false, 'readyz check failed\n'],
  ])('%s', (_, result, verbose, expected) => {
    expect(renderHealth('readyz', result, verbose)).toBe(expected);
  });
});

describe('startHttpServer', () => {
  test('binds the asked address, reports the real port and logs it once', async () => {
    const { server, records } = await serve();
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.address).not.toBe('127.0.0.1:0');
    expect(records).toEqual([
      { level: 'info', msg: 'serving http', fields: { address: server.address, component: 'http' } },
    ]);
  });

  test('":port" listens on every interface', async () => {
    const { server } = await serve({ address: ':0' });
    const port = server.address.split(':').pop();
    expect(server.address).toMatch(/^(\[::\]|0\.0\.0\.0):\d+$/);
    expect((await get(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  (hasIpv6Loopback ? test : test.skip)('serves on an IPv6 address in brackets', async () => {
    const { server, url } = await serve({ address: '[::1]:0' });
    expect(server.address).toMatch(/^\[::1\]:\d+$/);
    expect(await get(url('/healthz'))).toMatchObject({ status: 200, body: 'ok\n' });
  });

  test('a bad address or a port in use fails to start with a clear error', async () => {
    await expect(serve({ address: 'nonsense' })).rejects.toThrow('invalid listen address "nonsense"');
    const { server } = await serve();
    await expect(serve({ address: server.address })).rejects.toThrow(
      new RegExp(`^cannot serve http on ${server.address.replace(/\./g, '\\.')}: .*EADDRINUSE`),
    );
  });

  test('GET /metrics returns the exposition with the registry content type', async () => {
    const metrics = new ReaperMetrics();
    metrics.setLiveOwners('Topology', 3);
    const { url } = await serve({ metrics });
    const response = await get(url('/metrics'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(metrics.contentType);
    expect(response.body).toContain('reaper_live_owners{kind="Topology"} 3\n');
    expect(response.body).toMatch(/^process_resident_memory_bytes \d+$/m);
  });

  test('a metrics failure answers 500 and is logged', async () => {
    const broken = {
      contentType: 'text/plain',
      metrics: () => Promise.reject(new Error('collector broke')),
    } as unknown as ReaperMetrics;
    const { url, records } = await serve({ metrics: broken });
    expect(await get(url('/metrics'))).toMatchObject({ status: 500, body: 'internal error\n' });
    expect(records).toContainEqual({
      level: 'warn',
      msg: 'http request failed',
      fields: { path: '/metrics', error: 'collector broke', component: 'http' },
    });
  });

  test('healthy probes answer 200 "ok", and list every check with ?verbose', async () => {
    const { url } = await serve();
    for (const path of ['/healthz', '/readyz']) {
      const response = await get(url(path));
      expect(response).toMatchObject({ status: 200, body: 'ok\n' });
      expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    }
    expect(await get(url('/readyz?verbose'))).toMatchObject({
      status: 200,
      body: '[+]informers ok\nreadyz check passed\n',
    });
  });

  test('each probe runs its own source', async () => {
    const readyz: HealthSource = async () => ({
      ok: false,
      checks: [{ name: 'leader', ok: false, message: 'not yet' }],
    });
    const { url } = await serve({ readyz });
    expect(await get(url('/healthz'))).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await get(url('/readyz'))).toMatchObject({
      status: 503,
      body: '[-]leader failed: not yet\nreadyz check failed\n',
    });
  });

  test('a failed check fails the probe even when the source says ok', async () => {
    const healthz: HealthSource = () => ({
      ok: true,
      checks: [
        { name: 'a', ok: true },
        { name: 'b', ok: false, message: 'down' },
      ],
    });
    const { url } = await serve({ healthz });
    expect(await get(url('/healthz'))).toMatchObject({
      status: 503,
      body: '[-]b failed: down\nhealthz check failed\n',
    });
    expect(await get(url('/healthz?verbose'))).toMatchObject({
      status: 503,
      body: '[+]a ok\n[-]b failed: down\nhealthz check failed\n',
    });
  });

  test('a source that throws, synchronously or not, fails the probe with its message', async () => {
    const { url } = await serve({
      healthz: () => {
        throw new Error('state lost');
      },
      readyz: () => Promise.reject(new Error('boom')),
    });
    expect(await get(url('/healthz'))).toMatchObject({
      status: 503,
      body: '[-]healthz failed: state lost\nhealthz check failed\n',
    });
    expect(await get(url('/readyz'))).toMatchObject({
      status: 503,
      body: '[-]readyz failed: boom\nreadyz check failed\n',
    });
  });

  test('a source that never answers fails the probe after the check timeout', async () => {
    const { url } = await serve({ readyz: () => new Promise<HealthResult>(() => {}), checkTimeoutMs: 50 });
    const started = Date.now();
    expect(await get(url('/readyz'))).toMatchObject({
      status: 503,
      body: '[-]readyz failed: no answer within 50ms\nreadyz check failed\n',
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('HEAD answers like GET without a body', async () => {
    const { url } = await serve({ readyz: () => ({ ok: false, checks: [] }) });
    expect(await get(url('/healthz'), { method: 'HEAD' })).toMatchObject({ status: 200, body: '' });
    expect(await get(url('/readyz'), { method: 'HEAD' })).toMatchObject({ status: 503, body: '' });
    expect(await get(url('/metrics'), { method: 'HEAD' })).toMatchObject({ status: 200, body: '' });
  });

  test.each<[string, string, number, string]>([
    ['GET', '/', 404, 'not found\n'],
    ['GET', '/metrics/', 404, 'not found\n'],
    ['GET', '/livez', 404, 'not found\n'],
    ['POST', '/nope', 404, 'not found\n'],
    ['POST', '/metrics', 405, 'method not allowed\n'],
    ['DELETE', '/healthz', 405, 'method not allowed\n'],
    ['PUT', '/readyz', 405, 'method not allowed\n'],
  ])('%s %s answers %d', async (method, path, status, body) => {
    const { url } = await serve();
    const response = await get(url(path), { method });
    expect(response).toMatchObject({ status, body });
    if (status === 405) expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  test('close drops idle keep-alive connections at once and refuses new requests', async () => {
    const { server, url } = await serve();
    // fetch keeps its connection open; the server's keep-alive timeout alone would hold close() for 5 s.
    expect((await get(url('/healthz'))).status).toBe(200);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(fetch(url('/healthz'))).rejects.toThrow();
    await server.close(); // a second close is harmless
  });

  test('close lets an in-flight request finish, then the connection closes', async () => {
    let answer: (result: HealthResult) => void = () => {};
    const { server, url } = await serve({ readyz: () => new Promise<HealthResult>((resolve) => (answer = resolve)) });
    const inFlight = get(url('/readyz'));
    await new Promise((resolve) => setTimeout(resolve, 50)); // until the request has reached the source
    const closing = server.close();
    answer({ ok: true, checks: [] });
    const response = await inFlight;
    expect(response).toMatchObject({ status: 200, body: 'ok\n' });
    expect(response.headers.get('connection')).toBe('close');
    await closing;
  });
});
