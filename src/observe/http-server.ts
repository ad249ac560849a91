// The controller's HTTP endpoint: /metrics for Prometheus, /healthz and /readyz for the kubelet.
// Probe bodies follow Kubernetes' own (`[+]name ok`, `[-]name failed: reason`) so they read the same
// as the API server's. A check never hangs a probe: one that throws or overruns counts as failed.
import http from 'node:http';
import { isIPv6 } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';
import type { ReaperMetrics } from './metrics.js';

export interface HealthCheck {
  name: string;
  ok: boolean;
  message?: string;
}

export interface HealthResult {
  ok: boolean;
  checks: HealthCheck[];
}

export type HealthSource = () => HealthResult | Promise<HealthResult>;

export interface HttpServerOptions {
  /** `host:port`, `[ipv6]:port`, or `:port` for all interfaces; port 0 picks a free one. */
  address: string;
  metrics: ReaperMetrics;
  healthz: HealthSource;
  readyz: HealthSource;
  logger: Logger;
  /** How long a health source may take before it counts as failed (default 5 s). */
  checkTimeoutMs?: number;
}

export interface HttpServer {
  /** The address actually bound, as `host:port` (`[ipv6]:port`), with the real port when 0 was asked. */
  readonly address: string;
  /** Stops listening, drops idle keep-alive connections and resolves once in-flight requests end. */
  close(): Promise<void>;
}

const DEFAULT_CHECK_TIMEOUT_MS = 5000;
const TEXT = 'text/plain; charset=utf-8';

export interface ListenAddress {
  /** Undefined means every interface. */
  host: string | undefined;
  port: number;
}

/** Parses `host:port`, `[ipv6]:port` or `:port`; throws a message that says what is accepted. */
export function parseListenAddress(address: string): ListenAddress {
  const invalid = (why: string) =>
    new Error(`invalid listen address "${address}": ${why} (want host:port, [ipv6]:port or :port; port 0 picks one)`);
  const match = /^(?:\[([^\]]*)\]|([^[\]:\s/]*)):([0-9]+)$/.exec(address);
  if (!match) throw invalid('not host:port');
  const [, bracketed, plain, portText = ''] = match;
  if (bracketed !== undefined && !isIPv6(bracketed)) throw invalid(`"${bracketed}" is not an IPv6 address`);
  const port = Number(portText);
  if (port > 65535) throw invalid(`port ${portText} is out of range`);
  const host = bracketed ?? (plain === '' ? undefined : plain);
  return { host, port };
}

function formatAddress({ address, port }: AddressInfo): string {
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { host, port } = parseListenAddress(options.address);
  const logger = options.logger.child('http');
  const checkTimeoutMs = options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const probes = new Map<string, HealthSource>([
    ['/healthz', options.healthz],
    ['/readyz', options.readyz],
  ]);
  let closing = false;

  const server = http.createServer((request, response) => {
    // Once closing, answers ask the client to drop the connection, so close() does not wait on it.
    const send = (status: number, body: string, headers: http.OutgoingHttpHeaders = {}) => {
      response.writeHead(status, {
        'Content-Type': TEXT,
        'Content-Length': Buffer.byteLength(body),
        'X-Content-Type-Options': 'nosniff',
        ...(closing ? { Connection: 'close' } : {}),
        ...headers,
      });
      response.end(body); // node drops the body itself for HEAD
    };
    handle(request, send).catch((error: unknown) => {
      logger.warn('http request failed', { path: request.url, error: errorText(error) });
      if (!response.headersSent) send(500, 'internal error\n');
      else response.destroy();
    });
  });

  type Send = (status: number, body: string, headers?: http.OutgoingHttpHeaders) => void;
  async function handle(request: http.IncomingMessage, send: Send): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const probe = probes.get(url.pathname);
    if (url.pathname !== '/metrics' && !probe) return send(404, 'not found\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return send(405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    }
    if (!probe) {
      const text = await options.metrics.metrics();
      return send(200, text, { 'Content-Type': options.metrics.contentType });
    }
    const name = url.pathname.slice(1);
    const result = await runHealthSource(name, probe, checkTimeoutMs);
    const body = renderHealth(name, result, url.searchParams.has('verbose'));
    send(result.ok ? 200 : 503, body, { 'Cache-Control': 'no-store' });
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(new Error(`cannot serve http on ${options.address}: ${error.message}`));
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (error) => logger.error('http server error', { error: errorText(error) }));

  const address = formatAddress(server.address() as AddressInfo);
  logger.info('serving http', { address });

  let closed: Promise<void> | undefined;
  return {
    address,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing = true;
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}

/**
 * Runs a health source, never longer than `timeoutMs`. A throw or an overrun becomes a failed
 * check; `ok` also turns false when any check failed, whatever the source said.
 */
export async function runHealthSource(name: string, source: HealthSource, timeoutMs: number): Promise<HealthResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${formatMs(timeoutMs)}`)), timeoutMs);
  });
  try {
    const result = await Promise.race([Promise.resolve().then(source), overrun]);
    return { ok: result.ok && result.checks.every((check) => check.ok), checks: result.checks };
  } catch (error) {
    return { ok: false, checks: [{ name, ok: false, message: errorText(error) }] };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Kubernetes' probe text: `ok` when healthy; otherwise a line per failed check and a last line
 * `<name> check failed`. Verbose lists every check and ends `<name> check passed|failed`.
 */
export function renderHealth(name: string, result: HealthResult, verbose: boolean): string {
  if (result.ok && !verbose) return 'ok\n';
  const lines = result.checks
    .filter((check) => verbose || !check.ok)
    .map((check) => {
      if (check.ok) return `[+]${oneLine(check.name)} ok`;
      return check.message
        ? `[-]${oneLine(check.name)} failed: ${oneLine(check.message)}`
        : `[-]${oneLine(check.name)} failed`;
    });
  lines.push(`${name} check ${result.ok ? 'passed' : 'failed'}`);
  return `${lines.join('\n')}\n`;
}

// A message with newlines would break the one-line-per-check format probes are read by.
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
