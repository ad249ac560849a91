// An in-memory engine for the fleet benchmark's hollow agents, as kubemark's hollow nodes stand in
// for kubelets: the real agent code (informers, reconcilers, status writers) runs against the real
// API server, and only the node's engine is simulated. This is the one place a simulated runtime is
// allowed; no test uses it.
import type { ContainerResource, NetworkResource, RuntimeResource } from '../../src/core/model.js';
import type { Policy } from '../../src/core/policy.js';
import type { Backends, RuntimeBackend } from '../../src/runtime/backend.js';
import type { RuntimeEngine } from '../../src/runtime/engine.js';
import type { RemovalResult } from '../../src/runtime/removal.js';
import { alreadyGone, reaped } from '../../src/runtime/removal.js';

export interface HollowOwner {
  /** The owner key the resources carry (the policy keys owners by uid). */
  readonly key: string;
  /** The labels an owner's resources carry: the ownership contract. */
  readonly labels: Readonly<Record<string, string>>;
}

export interface Removal {
  readonly node: string;
  readonly resource: RuntimeResource;
  readonly at: number;
}

export class HollowEngine implements RuntimeEngine {
  private readonly containers = new Map<string, ContainerResource>();
  private readonly networks = new Map<string, NetworkResource>();
  /** Container and network listings served: what a dockerd would have answered. */
  listings = 0;

  constructor(
    readonly node: string,
    owners: readonly HollowOwner[],
    options: { containersPerOwner: number; foreignContainers: number; createdAt: number },
    private readonly onRemove: (removal: Removal) => void,
  ) {
    const { createdAt } = options;
    for (const owner of owners) {
      const network: NetworkResource = {
        kind: 'network',
        id: `${node}-net-${owner.key}`,
        name: `lab-${owner.key}`,
        labels: owner.labels,
        createdAt,
        driver: 'bridge',
        containerIds: [],
      };
      this.networks.set(network.id, network);
      for (let i = 0; i < options.containersPerOwner; i++) {
        const id = `${node}-c-${owner.key}-${i}`;
        this.containers.set(id, {
          kind: 'container',
          id,
          name: `lab-${owner.key}-${i}`,
          labels: owner.labels,
          createdAt,
          state: 'running',
          networks: [network.name],
        });
      }
    }
    // What else a node runs: nothing of reaper's to judge.
    for (let i = 0; i < options.foreignContainers; i++) {
      const id = `${node}-other-${i}`;
      this.containers.set(id, {
        kind: 'container',
        id,
        name: `other-${i}`,
        labels: { app: 'something-else' },
        createdAt,
        state: 'running',
        networks: [],
      });
    }
  }

  /** Resources held now, for the benchmark's own bookkeeping. */
  get size(): number {
    return this.containers.size + this.networks.size;
  }

  backendsFor(_policy: Policy): Backends {
    const container: RuntimeBackend = {
      kind: 'container',
      list: async () => {
        this.listings++;
        return [...this.containers.values()];
      },
      remove: async (resource) => this.remove(this.containers, resource),
    };
    const network: RuntimeBackend = {
      kind: 'network',
      list: async () => {
        this.listings++;
        const attached = (name: string) =>
          [...this.containers.values()].filter((c) => c.networks.includes(name)).map((c) => c.id);
        return [...this.networks.values()].map((n) => ({ ...n, containerIds: attached(n.name) }));
      },
      remove: async (resource) => this.remove(this.networks, resource),
    };
    const volume: RuntimeBackend = { kind: 'volume', list: async () => [], remove: async () => alreadyGone() };
    return { container, network, volume };
  }

  async ping(): Promise<void> {}

  private remove(store: Map<string, RuntimeResource>, resource: RuntimeResource): RemovalResult {
    if (!store.delete(resource.id)) return alreadyGone();
    this.onRemove({ node: this.node, resource, at: Date.now() });
    return reaped();
  }
}
