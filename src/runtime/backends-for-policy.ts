// The backends a policy needs. Containers, networks and volumes are always listed (a disabled kind
// is reported as protected, and leases are attributed through containers); leases only when the
// policy manages them, since their store is a host path.
import type Docker from 'dockerode';
import type { Policy } from '../core/policy.js';
import type { Backends } from './backend.js';
import { CniLeases } from './cni-leases.js';
import { ContainerListing } from './container-listing.js';
import { DockerContainers } from './docker-containers.js';
import type { AttachmentCheck } from './docker-networks.js';
import { DockerNetworks } from './docker-networks.js';
import { DockerVolumes } from './docker-volumes.js';

export function backendsForPolicy(policy: Policy, docker: Docker, attachedTo?: AttachmentCheck): Backends {
  // One container listing per snapshot serves both: networks are listed right after containers.
  const containers = new ContainerListing(docker);
  return {
    container: new DockerContainers(docker, policy.resources.containers, containers),
    network: new DockerNetworks(docker, containers, attachedTo),
    volume: new DockerVolumes(docker),
    ...(policy.resources.ipLeases.enabled ? { ipLease: new CniLeases(policy.resources.ipLeases.cniDir) } : {}),
  };
}
