// Docker networks: never the predefined ones, never one a container is still attached to (it is
// reported "in use by …" instead; reaper does not disconnect anyone's container).
//
// What "attached" means, checked on Docker 20.10 (API 1.41): the network list leaves Containers
// empty; inspect names only the containers with an active endpoint (running ones); and Docker lets
// a network go while stopped or never-started containers still name it, which then cannot start
// ("network … not found"). So attachment is read from the containers' own network settings, all
// states included; a container that never started has no NetworkID there, only the network name.
import type Docker from 'dockerode';
import type { NetworkResource } from '../core/model.js';
import { PREDEFINED_NETWORKS } from '../core/protection.js';
import type { RuntimeBackend } from './backend.js';
import type { ContainerListing } from './container-listing.js';
import { describeDockerError, dockerDeadline, httpStatus } from './docker-client.js';
import type { ContainerRecord } from './docker-objects.js';
import { attachedTo, containerFromListing, networkFromDocker, withAttachments } from './docker-objects.js';
import type { RemovalResult } from './removal.js';
import { alreadyGone, failed, reaped, skipped } from './removal.js';

const NAMES_SHOWN = 5;

/**
 * The containers whose settings name a network, asked right before removing it. Listing the engine
 * filtered by network costs a walk over every container it holds (a third of a second at 10,000);
 * an agent that follows the engine's events answers from its view instead (DockerView.attachedTo).
 */
export type AttachmentCheck = (network: { readonly id: string; readonly name: string }) => Promise<ContainerRecord[]>;

export class DockerNetworks implements RuntimeBackend<NetworkResource> {
  readonly kind = 'network' as const;
  private readonly attached: AttachmentCheck;

  constructor(
    private readonly docker: Docker,
    /**
     * The container backend's listing of the same snapshot, when given; else the containers are
     * listed here. Either way a removal checks attachment afresh (`attachedTo`).
     */
    private readonly containers?: ContainerListing,
    attachedTo?: AttachmentCheck,
  ) {
    this.attached = attachedTo ?? ((network) => this.listAttached(network));
  }

  async list(): Promise<NetworkResource[]> {
    let networks: Docker.NetworkInspectInfo[];
    let containers: Docker.ContainerInfo[];
    try {
      networks = await this.docker.listNetworks({ abortSignal: dockerDeadline() });
      containers = this.containers
        ? await this.containers.take()
        : await this.docker.listContainers({ all: true, abortSignal: dockerDeadline() });
    } catch (err) {
      throw new Error(describeDockerError(err, this.docker));
    }
    return withAttachments(networks.map(networkFromDocker), containers.map(containerFromListing));
  }

  async remove(resource: NetworkResource): Promise<RemovalResult> {
    if (PREDEFINED_NETWORKS.has(resource.name)) return skipped("Docker's predefined network");
    const network = this.docker.getNetwork(resource.id);
    try {
      // dockerode's network inspect takes no abort signal.
      const now = await network.inspect();
      if (PREDEFINED_NETWORKS.has(now.Name)) return skipped("Docker's predefined network");
      const attached = new Map<string, string>();
      for (const [id, c] of Object.entries(now.Containers ?? {})) attached.set(id, c.Name ?? id.slice(0, 12));
      for (const c of await this.attached({ id: now.Id, name: now.Name })) attached.set(c.resource.id, c.resource.name);
      if (attached.size > 0) return skipped(inUse([...attached.values()]));
      await network.remove({ abortSignal: dockerDeadline() });
      return reaped();
    } catch (err) {
      const status = httpStatus(err);
      if (status === 404) return alreadyGone();
      // A container attached between the check and the remove: 403 on Docker 20.10, 409 later.
      if (status === 403 || status === 409 || /active endpoints/i.test(describeDockerError(err, this.docker))) {
        return skipped(`in use: ${describeDockerError(err, this.docker)}`);
      }
      return failed(describeDockerError(err, this.docker));
    }
  }

  private async listAttached(network: { readonly id: string; readonly name: string }): Promise<ContainerRecord[]> {
    const configured = await this.docker.listContainers({
      all: true,
      // Docker matches a value to a network name exactly, or as a prefix of a network id;
      // attachedTo checks each container's settings again all the same.
      filters: { network: [network.id, network.name] },
      abortSignal: dockerDeadline(),
    });
    return attachedTo(network, configured.map(containerFromListing));
  }
}

function inUse(names: string[]): string {
  const shown = names.slice(0, NAMES_SHOWN).join(', ');
  const more = names.length > NAMES_SHOWN ? ` and ${names.length - NAMES_SHOWN} more` : '';
  return `in use by ${shown}${more}`;
}
