// What reaper never removes even when it is an orphan (design §3.3).
import type { RuntimeResource } from './model.js';
import type { Policy } from './policy.js';
import { KEEP_LABEL } from './policy.js';

/** Networks Docker creates itself (and swarm's): removing them breaks the engine. */
export const PREDEFINED_NETWORKS: ReadonlySet<string> = new Set([
  'bridge',
  'host',
  'none',
  'ingress',
  'docker_gwbridge',
]);

export interface ProtectionContext {
  readonly policy: Policy;
  /** reaper's own container, when it runs in one (a prefix of the id, as in HOSTNAME, is enough). */
  readonly selfContainerId?: string;
}

/** Why the resource is protected, or undefined when it is not. */
export function protectionOf(resource: RuntimeResource, context: ProtectionContext): string | undefined {
  const { resources } = context.policy;
  const enabled =
    resource.kind === 'container'
      ? resources.containers.enabled
      : resource.kind === 'network'
        ? resources.networks.enabled
        : resource.kind === 'volume'
          ? resources.volumes.enabled
          : resources.ipLeases.enabled;
  if (!enabled) return `${resource.kind}s are not managed by this policy`;
  if (resource.labels[KEEP_LABEL] === 'true') return `labelled ${KEEP_LABEL}=true`;
  if (resource.kind === 'network' && PREDEFINED_NETWORKS.has(resource.name)) return "Docker's predefined network";
  if (resource.kind === 'container' && isSelf(resource.id, context.selfContainerId)) return "reaper's own container";
  return undefined;
}

function isSelf(id: string, self: string | undefined): boolean {
  return self !== undefined && self.length >= 12 && id.startsWith(self);
}
