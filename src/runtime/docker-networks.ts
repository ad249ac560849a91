// Docker networks: never the predefined ones, never one a container is still attached to (it is
// reported "in use" instead; reaper does not disconnect anyone's container).
import type Docker from 'dockerode';
import type { NetworkResource } from '../core/model.js';
import { PREDEFINED_NETWORKS } from '../core/protection.js';
import type { RuntimeBackend } from './backend.js';
import type { RemovalResult } from './removal.js';
import { alreadyGone, describeError, failed, httpStatus, reaped, skipped } from './removal.js';

export class DockerNetworks implements RuntimeBackend<NetworkResource> {
  readonly kind = 'network' as const;

  constructor(private readonly docker: Docker) {}

  async list(): Promise<NetworkResource[]> {
    const networks = await this.docker.listNetworks();
    return networks.map((n) => ({
      kind: 'network',
      id: n.Id,
      name: n.Name,
      labels: n.Labels ?? {},
      createdAt: Date.parse(n.Created ?? '') || 0,
      driver: n.Driver ?? '',
      // The list endpoint leaves Containers empty; removal inspects afresh.
      containerIds: Object.keys(n.Containers ?? {}),
    }));
  }

  async remove(resource: NetworkResource): Promise<RemovalResult> {
    if (PREDEFINED_NETWORKS.has(resource.name)) return skipped("Docker's predefined network");
    const network = this.docker.getNetwork(resource.id);
    try {
      const attached = Object.values((await network.inspect()).Containers ?? {}) as { Name?: string }[];
      if (attached.length > 0) return skipped(inUse(attached.map((c) => c.Name ?? '?')));
      await network.remove();
      return reaped();
    } catch (err) {
      const status = httpStatus(err);
      if (status === 404) return alreadyGone();
      // A container attached between the inspect and the remove.
      if (status === 403 || /active endpoints/i.test(describeError(err))) return skipped(inUse([]));
      return failed(describeError(err));
    }
  }
}

function inUse(names: string[]): string {
  const shown = names.slice(0, 5).join(', ');
  return names.length === 0 ? 'in use' : `in use by ${shown}${names.length > 5 ? ` and ${names.length - 5} more` : ''}`;
}
