// Loopback ports for daemons a test starts. A port found free can be taken by another process
// before the daemon binds it, so whoever starts a daemon on one retries when the bind fails.
import type { Server } from 'node:net';
import { createServer } from 'node:net';

function listenOnAnyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** `count` distinct ports nothing listens on right now: all are held open until each is known. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listenOnAnyPort());
    return servers.map((server) => (server.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/** Whether a daemon's log says it could not bind its port: the race above, worth a new port. */
export function lostPortRace(log: string): boolean {
  return /address already in use/i.test(log);
}
