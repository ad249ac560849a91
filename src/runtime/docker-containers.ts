// Docker containers: listed with `all`, stopped gracefully when running (policy Stop) or left
// alone (Skip), removed together with their anonymous volumes.
import type Docker from 'dockerode';
import type { ContainerResource } from '../core/model.js';
import type { RunningContainerAction } from '../core/policy.js';
import type { RuntimeBackend } from './backend.js';
import type { RemovalResult } from './removal.js';
import { alreadyGone, describeError, failed, httpStatus, reaped, skipped } from './removal.js';

export interface ContainerRemovalPolicy {
  readonly running: RunningContainerAction;
  readonly stopTimeoutSeconds: number;
}

const ACTIVE_STATES = new Set(['running', 'paused', 'restarting']);

export class DockerContainers implements RuntimeBackend<ContainerResource> {
  readonly kind = 'container' as const;

  constructor(
    private readonly docker: Docker,
    private readonly removal: ContainerRemovalPolicy,
  ) {}

  async list(): Promise<ContainerResource[]> {
    const containers = await this.docker.listContainers({ all: true });
    return containers.map((c) => ({
      kind: 'container',
      id: c.Id,
      name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
      labels: c.Labels ?? {},
      createdAt: (c.Created ?? 0) * 1000,
      state: c.State ?? 'unknown',
      networks: Object.keys(c.NetworkSettings?.Networks ?? {}),
    }));
  }

  async remove(resource: ContainerResource): Promise<RemovalResult> {
    const container = this.docker.getContainer(resource.id);
    try {
      // The snapshot may be stale: decide on the state now.
      const state = (await container.inspect()).State;
      const active = state.Running || state.Paused || state.Restarting || ACTIVE_STATES.has(state.Status);
      if (active) {
        if (this.removal.running === 'Skip')
          return skipped(`${state.Status}, and the policy says Skip running containers`);
        // Docker sends SIGTERM, waits up to t seconds, then SIGKILL. 304 means it already stopped.
        await container.stop({ t: this.removal.stopTimeoutSeconds }).catch((err: unknown) => {
          if (httpStatus(err) !== 304) throw err;
        });
      }
      await container.remove({ v: true });
      return reaped(active ? 'stopped and removed with its anonymous volumes' : 'removed with its anonymous volumes');
    } catch (err) {
      if (httpStatus(err) === 404) return alreadyGone();
      return failed(describeError(err));
    }
  }
}
