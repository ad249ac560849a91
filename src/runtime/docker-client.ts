// Reaching Docker: DOCKER_HOST (and DOCKER_TLS_VERIFY / DOCKER_CERT_PATH) or the default socket,
// as the docker CLI does; dockerode's modem reads them itself.
import Docker from 'dockerode';

export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

export function createDockerClient(): Docker {
  return new Docker();
}

/** Fails with one line that says how to fix it when no engine answers. */
export async function assertDockerReachable(docker: Docker, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    await docker.ping();
  } catch (err) {
    const cause = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(
      `cannot reach Docker at ${dockerEndpoint(env)} (${cause}): start dockerd, or set DOCKER_HOST to an engine that answers`,
    );
  }
}
