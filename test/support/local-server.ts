// An HTTP server on a free port of 127.0.0.1, for a test that plays the other side of a client (a
// tiny API server, say). A subclass answers in handle() and names the responses it keeps open (its
// watches), which close() ends before it closes the server. kubeConfigFor points a client at one.
import * as k8s from '@kubernetes/client-node';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export abstract class LocalServer {
  readonly server: Server = createServer((req, res) => this.handle(req, res));

  protected abstract handle(req: IncomingMessage, res: ServerResponse): void;

  /** Responses still open when the test ends. */
  protected openResponses(): readonly ServerResponse[] {
    return [];
  }

  /** Starts listening; resolves with the server's URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const response of this.openResponses()) response.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A kubeconfig for a local API server at `server` (its URL), without credentials. */
export function kubeConfigFor(server: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'tiny', server, skipTLSVerify: true }],
    users: [{ name: 'nobody' }],
    contexts: [{ name: 'tiny', cluster: 'tiny', user: 'nobody' }],
    currentContext: 'tiny',
  });
  return kc;
}
