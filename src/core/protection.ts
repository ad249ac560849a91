// What reaper never removes even when it is an orphan (design §3.3).
import { isIpAddress } from './ip-address.js';
import type { ResourceKind, RuntimeResource } from './model.js';
import type { Policy } from './policy.js';
import { KEEP_LABEL } from './policy.js';

/**
 * Networks Docker creates itself (and swarm's): removing them breaks the engine. Matched by name,
 * whatever the id, since a network named like one of them is one to a person reading `docker network ls`.
 */
export const PREDEFINED_NETWORKS: ReadonlySet<string> = new Set([
  'bridge',
  'host',
  'none',
  'ingress',
  'docker_gwbridge',
]);

/** Docker's short container ids (and HOSTNAME inside a container) are this long. */
const SHORT_CONTAINER_ID_LENGTH = 12;

export interface ProtectionContext {
  readonly policy: Pick<Policy, 'resources'>;
  /** reaper's own container, when it runs in one (a prefix of the id, as in HOSTNAME, is enough). */
  readonly selfContainerId?: string;
}

/** Why the resource is protected, or undefined when it is not. */
export function protectionOf(resource: RuntimeResource, context: ProtectionContext): string | undefined {
  if (!kindEnabled(resource.kind, context.policy)) return `${resource.kind}s are not managed by this policy`;
  if (resource.labels[KEEP_LABEL] === 'true') return `labelled ${KEEP_LABEL}=true`;
  switch (resource.kind) {
    case 'network':
      return PREDEFINED_NETWORKS.has(resource.name) ? "Docker's predefined network" : undefined;
    case 'container':
      return isSelf(resource.id, context.selfContainerId) ? "reaper's own container" : undefined;
    case 'ipLease':
      // host-local keeps `lock` and `last_reserved_ip.<n>` beside the leases; a backend should not
      // list them, but removing one would corrupt the store.
      return isIpAddress(resource.name) ? undefined : 'not a lease: lease store bookkeeping';
    case 'volume':
      return undefined;
  }
}

function kindEnabled(kind: ResourceKind, policy: Pick<Policy, 'resources'>): boolean {
  const { resources } = policy;
  switch (kind) {
    case 'container':
      return resources.containers.enabled;
    case 'network':
      return resources.networks.enabled;
    case 'volume':
      return resources.volumes.enabled;
    case 'ipLease':
      return resources.ipLeases.enabled;
  }
}

function isSelf(id: string, self: string | undefined): boolean {
  // A shorter prefix could name someone else's container.
  if (self === undefined || self.length < SHORT_CONTAINER_ID_LENGTH) return false;
  return id.toLowerCase().startsWith(self.toLowerCase());
}
