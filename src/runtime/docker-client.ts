// Reaching Docker: DOCKER_HOST (and DOCKER_TLS_VERIFY / DOCKER_CERT_PATH) or the default socket,
// as the docker CLI does; dockerode's modem reads them itself. Errors become one line that says
// where Docker was looked for and how to fix it.
import Docker from 'dockerode';

/** How long one Docker call may take before it counts as failed (a stop adds its own timeout). */
export const DOCKER_CALL_TIMEOUT_MS = 60_000;

export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

/** A client for DOCKER_HOST or the default socket; a malformed DOCKER_HOST is a one-line error. */
export function createDockerClient(): Docker {
  try {
    return new Docker();
  } catch (err) {
    throw new Error(`DOCKER_HOST=${JSON.stringify(process.env.DOCKER_HOST)} is not usable: ${(err as Error).message}`);
  }
}

/**
 * Where a client sends its calls, for error lines: its own socket or host when it was given one,
 * else what DOCKER_HOST (or the default) says.
 */
export function dockerEndpointOf(docker: Docker, env: NodeJS.ProcessEnv = process.env): string {
  const modem = (docker as { modem?: { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown } })
    .modem;
  if (typeof modem?.socketPath === 'string') return `unix://${modem.socketPath}`;
  if (typeof modem?.host === 'string' && modem.host) {
    const protocol = typeof modem.protocol === 'string' ? modem.protocol : 'http';
    return `${protocol}://${modem.host}${modem.port ? `:${String(modem.port)}` : ''}`;
  }
  return dockerEndpoint(env);
}

/** Fails with one line that says how to fix it when no engine answers. */
export async function assertDockerReachable(docker: Docker, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    // dockerode's ping takes an abort signal; its types do not say so.
    const ping = docker.ping.bind(docker) as unknown as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
    await ping({ abortSignal: dockerDeadline() });
  } catch (err) {
    const endpoint = dockerEndpointOf(docker, env);
    throw new Error(unreachable(endpoint, err) ?? `Docker at ${endpoint}: ${oneLine(err)}`);
  }
}

/** A signal for one Docker call: aborts it when the engine does not answer in time. */
export function dockerDeadline(extraMs = 0): AbortSignal {
  return AbortSignal.timeout(DOCKER_CALL_TIMEOUT_MS + extraMs);
}

/** Docker's HTTP status of a failed call, when the engine answered at all. */
export function httpStatus(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/**
 * One line for a report: Docker's own message when it answered, a "cannot reach" line with the fix
 * when it did not (the engine is down, or went away mid-sweep).
 */
export function describeDockerError(err: unknown, docker: Docker): string {
  return unreachable(dockerEndpointOf(docker), err) ?? oneLine(err);
}

const CONNECTION_ERRORS = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EACCES',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

function unreachable(endpoint: string, err: unknown): string | undefined {
  if (httpStatus(err) !== undefined) return undefined;
  const { code, name } = (err ?? {}) as { code?: unknown; name?: unknown };
  let cause: string;
  if (name === 'AbortError' || name === 'TimeoutError') cause = `no answer within ${DOCKER_CALL_TIMEOUT_MS / 1000}s`;
  else if (typeof code === 'string' && CONNECTION_ERRORS.has(code)) cause = oneLine(err);
  else if (/socket hang up/i.test(oneLine(err))) cause = 'the connection closed';
  else return undefined;
  return `cannot reach Docker at ${endpoint} (${cause}): start dockerd, or set DOCKER_HOST to an engine that answers`;
}

function oneLine(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  const message = typeof json?.message === 'string' ? json.message : err instanceof Error ? err.message : String(err);
  // docker-modem prefixes errors of its own with "Error: ".
  return (message.split('\n')[0] ?? '').replace(/^Error: /, '').slice(0, 300);
}
