// Docker containers: listed with `all`, stopped gracefully when running (policy Stop) or left
// alone (Skip), removed together with their anonymous volumes.
import type Docker from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerResource } from '../core/model.js';
import type { RunningContainerAction } from '../core/policy.js';
import type { RuntimeBackend } from './backend.js';
import { ContainerListing } from './container-listing.js';
import { describeDockerError, dockerDeadline, httpStatus } from './docker-client.js';
import { containerFromListing } from './docker-objects.js';
import type { RemovalResult } from './removal.js';
import { alreadyGone, failed, reaped, skipped } from './removal.js';

export interface ContainerRemovalPolicy {
  readonly running: RunningContainerAction;
  readonly stopTimeoutSeconds: number;
}

const ACTIVE_STATES = new Set(['running', 'paused', 'restarting']);
/** How long to wait for a removal someone else (or Docker's auto-remove) already started. */
const REMOVAL_IN_PROGRESS_WAIT_MS = 10_000;

export class DockerContainers implements RuntimeBackend<ContainerResource> {
  readonly kind = 'container' as const;

  constructor(
    private readonly docker: Docker,
    private readonly removal: ContainerRemovalPolicy,
    /** Shared with the network backend of the same snapshot (backendsForPolicy). */
    private readonly listing = new ContainerListing(docker),
  ) {}

  async list(): Promise<ContainerResource[]> {
    let containers: Docker.ContainerInfo[];
    try {
      containers = await this.listing.list();
    } catch (err) {
      throw new Error(describeDockerError(err, this.docker));
    }
    return containers.map((c) => containerFromListing(c).resource);
  }

  async remove(resource: ContainerResource): Promise<RemovalResult> {
    const container = this.docker.getContainer(resource.id);
    let stopped = false;
    try {
      if (this.removal.running === 'Skip') {
        // The snapshot may be stale: decide on the state now.
        const state = (await container.inspect({ abortSignal: dockerDeadline() })).State;
        const active = state.Running || state.Paused || state.Restarting || ACTIVE_STATES.has(state.Status);
        if (active) return skipped(`${state.Status}, and the policy says Skip running containers`);
      } else {
        // Stop asks the engine for the state itself: no inspect first. Docker sends SIGTERM, waits
        // up to t seconds, then SIGKILL; 304 says it was not running (created, exited, dead).
        const t = this.removal.stopTimeoutSeconds;
        stopped = await container.stop({ t, abortSignal: dockerDeadline(t * 1000) }).then(
          () => true,
          (err: unknown) => {
            if (httpStatus(err) === 304) return false;
            throw err;
          },
        );
      }
      await container.remove({ v: true, abortSignal: dockerDeadline() });
      return reaped(stopped ? 'stopped and removed with its anonymous volumes' : 'removed with its anonymous volumes');
    } catch (err) {
      const status = httpStatus(err);
      // Stopping a container started with --rm makes Docker remove it: our doing all the same.
      if (status === 404) return stopped ? reaped('stopped; Docker removed it (auto-remove)') : alreadyGone();
      if (status === 409 && /already in progress/i.test(describeDockerError(err, this.docker))) {
        return this.awaitRemovalInProgress(container, stopped);
      }
      return failed(describeDockerError(err, this.docker));
    }
  }

  private async awaitRemovalInProgress(container: Docker.Container, stopped: boolean): Promise<RemovalResult> {
    const deadline = Date.now() + REMOVAL_IN_PROGRESS_WAIT_MS;
    while (Date.now() < deadline) {
      await sleep(200);
      try {
        await container.inspect({ abortSignal: dockerDeadline() });
      } catch (err) {
        if (httpStatus(err) === 404) return stopped ? reaped('stopped; Docker removed it') : alreadyGone();
        return failed(describeDockerError(err, this.docker));
      }
    }
    return failed(`a removal already in progress did not finish within ${REMOVAL_IN_PROGRESS_WAIT_MS / 1000}s`);
  }
}
