// One `docker ps -a` per snapshot, shared by the container and the network backends: telling which
// networks are in use needs every container's network settings, which the container listing has
// just read. On an engine with thousands of containers that listing is a sweep's costliest Docker
// call (hundreds of milliseconds on a busy host), so a snapshot pays for it once.
import type Docker from 'dockerode';
import { dockerDeadline } from './docker-client.js';

/** How long a listing may wait for its take(): well within one snapshot, never across sweeps. */
const KEPT_FOR_MS = 10_000;

export class ContainerListing {
  private kept: { readonly containers: Docker.ContainerInfo[]; readonly at: number } | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly now: () => number = Date.now,
  ) {}

  /** Lists every container now, in any state, and keeps the listing for the next take(). */
  async list(): Promise<Docker.ContainerInfo[]> {
    this.kept = undefined;
    const containers = await this.listNow();
    this.kept = { containers, at: this.now() };
    return containers;
  }

  /**
   * The listing list() kept, once, if it is recent (a snapshot lists containers right before
   * networks); else a fresh one.
   */
  take(): Promise<Docker.ContainerInfo[]> {
    const kept = this.kept;
    this.kept = undefined;
    if (kept && this.now() - kept.at <= KEPT_FOR_MS) return Promise.resolve(kept.containers);
    return this.listNow();
  }

  private listNow(): Promise<Docker.ContainerInfo[]> {
    return this.docker.listContainers({ all: true, abortSignal: dockerDeadline() });
  }
}
