// A controller test's world: its own ReapPolicy (attributing only through a label key no other test
// uses), its own namespace of owners, and runtime resources made for those owners on the real
// Docker engine and host-local lease store, labelled with that key and the kind and namespace
// labels of the ownership contract. cleanUp() removes all of it. Its policy is labelled with an
// agent set (its own unless it shares one): agents started with `policySelector` sweep only it.
import * as k8s from '@kubernetes/client-node';
import { labelValue } from '../../src/api/node-report-name.js';
import { AGENT_SET_LABEL, agentSetSelector } from './controller-process.js';
import { kubeConfig, testImage, uniqueName } from './engines.js';
import { installCrds } from './kubectl.js';
import { labelsOfOwner, ownerLabels } from './owner-labels.js';
import { RuntimeFixtures } from './runtime-fixtures.js';

export const group = 'reaper.dev';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

export type KubeObject = k8s.KubernetesObject & {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown> & {
    conditions?: { type: string; status: string; reason: string; message: string; observedGeneration?: number }[];
  };
};

/** What one owner got on the host. */
export interface OwnerResources {
  containers: string[];
  networks: string[];
  leases: string[];
}

export interface ScenarioOptions {
  /**
   * The agent set whose agents sweep this scenario's policy (a label value). Scenarios whose
   * policies one agent sweeps pass the same set. Default: the scenario's own id, its policyName.
   */
  readonly agents?: string;
}

export class ControllerScenario {
  readonly kc: k8s.KubeConfig = kubeConfig();
  readonly custom = this.kc.makeApiClient(k8s.CustomObjectsApi);
  readonly core = this.kc.makeApiClient(k8s.CoreV1Api);
  readonly fixtures: RuntimeFixtures;
  /** The label the policy attributes by: unique to this scenario. */
  readonly labelKey: string;
  readonly policyName: string;
  /** The CNI network (lease store subdirectory) the policy manages. */
  readonly cniNetwork: string;
  readonly namespaces: string[] = [];
  /** The agent set of the policy (the value of its test.reaper.dev/agents label). */
  readonly agents: string;

  constructor(
    readonly label: string,
    options: ScenarioOptions = {},
  ) {
    installCrds();
    this.fixtures = new RuntimeFixtures(label);
    const id = uniqueName(label);
    this.labelKey = `${id}.test/owner-uid`;
    this.policyName = id;
    this.cniNetwork = `${id}-net`;
    this.agents = options.agents ?? id;
    if (!/^[a-z0-9A-Z]([-_.a-z0-9A-Z]{0,61}[a-z0-9A-Z])?$/.test(this.agents))
      throw new Error(`agent set ${JSON.stringify(this.agents)} is not a label value`);
  }

  /** The labels that put a policy in this scenario's agent set (createPolicy sets them). */
  get agentLabels(): Record<string, string> {
    return { [AGENT_SET_LABEL]: this.agents };
  }

  /** `--policy-selector` of an agent that sweeps this scenario's policy (and its agent set's others). */
  get policySelector(): string {
    return agentSetSelector(this.agents);
  }

  async namespace(prefix = this.label): Promise<string> {
    const name = uniqueName(prefix);
    await this.core.createNamespace({ body: { metadata: { name } } });
    this.namespaces.push(name);
    return name;
  }

  /** The policy: grace and minAge 0 unless `spec` says otherwise; owners Topology and Sandbox. */
  async createPolicy(spec: Record<string, unknown> = {}, annotations?: Record<string, string>): Promise<KubeObject> {
    const body = {
      apiVersion,
      kind: 'ReapPolicy',
      metadata: { name: this.policyName, labels: this.agentLabels, ...(annotations ? { annotations } : {}) },
      spec: {
        owners: [
          { apiVersion, kind: 'Topology' },
          { apiVersion, kind: 'Sandbox' },
        ],
        match: [{ label: this.labelKey }],
        resources: {
          containers: { stopTimeoutSeconds: 1 },
          ipLeases: { enabled: true, cniDir: this.fixtures.cniDir, networks: [this.cniNetwork] },
        },
        timing: { minAge: '0', gracePeriod: '0', interval: '1h' },
        limits: { maxOrphanPercent: 100 },
        ...spec,
      },
    };
    return (await this.custom.createClusterCustomObject({
      group,
      version,
      plural: 'reappolicies',
      body,
    })) as KubeObject;
  }

  async patchPolicy(patch: Record<string, unknown>): Promise<KubeObject> {
    return (await this.custom.patchClusterCustomObject(
      { group, version, plural: 'reappolicies', name: this.policyName, body: patch },
      mergePatch,
    )) as KubeObject;
  }

  async policy(): Promise<KubeObject> {
    return (await this.custom.getClusterCustomObject({
      group,
      version,
      plural: 'reappolicies',
      name: this.policyName,
    })) as KubeObject;
  }

  async createTopology(namespace: string, name: string, nodes = 2): Promise<KubeObject> {
    const body = {
      apiVersion,
      kind: 'Topology',
      metadata: { name, namespace },
      spec: {
        networks: [{ name: 'lan' }],
        nodes: Array.from({ length: nodes }, (_, i) => ({ name: `n${i}`, image: 'busybox', networks: ['lan'] })),
      },
    };
    return (await this.custom.createNamespacedCustomObject({
      group,
      version,
      plural: 'topologies',
      namespace,
      body,
    })) as KubeObject;
  }

  /** A Sandbox: one container on one network (so one lease when leases are managed). */
  async createSandbox(namespace: string, name: string): Promise<KubeObject> {
    const body = {
      apiVersion,
      kind: 'Sandbox',
      metadata: { name, namespace },
      spec: { image: 'busybox', command: ['sleep', '3600'], network: 'sandbox', ports: [{ containerPort: 8080 }] },
    };
    return (await this.custom.createNamespacedCustomObject({
      group,
      version,
      plural: 'sandboxes',
      namespace,
      body,
    })) as KubeObject;
  }

  async owner(plural: 'topologies' | 'sandboxes', namespace: string, name: string): Promise<KubeObject | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ group, version, plural, namespace, name })) as KubeObject;
    } catch (err) {
      if (err instanceof k8s.ApiException && err.code === 404) return undefined;
      throw err;
    }
  }

  async patchOwner(
    plural: 'topologies' | 'sandboxes',
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
  ): Promise<KubeObject> {
    return (await this.custom.patchNamespacedCustomObject(
      { group, version, plural, namespace, name, body: patch },
      mergePatch,
    )) as KubeObject;
  }

  /** Appends a finalizer to the list as stored (a JSON patch: no read, no overwrite). */
  async appendFinalizer(plural: 'topologies' | 'sandboxes', namespace: string, name: string, finalizer: string) {
    await this.custom.patchNamespacedCustomObject(
      {
        group,
        version,
        plural,
        namespace,
        name,
        body: [{ op: 'add', path: '/metadata/finalizers/-', value: finalizer }],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
  }

  async deleteOwner(plural: 'topologies' | 'sandboxes', namespace: string, name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ group, version, plural, namespace, name });
  }

  /**
   * What a deployer makes for an owner: a network, `containers` containers on it (stopped unless
   * `running`), and one real host-local lease per container; the network and containers labelled
   * with the ownership contract under this scenario's label key (test/support/owner-labels.ts).
   * `owner` is an owner object as read back from the API server, or the uid of a Topology of no
   * stated namespace (e.g. one that never existed).
   */
  async materialize(
    tag: string,
    owner: string | KubeObject,
    options: { containers?: number; running?: boolean } = {},
  ): Promise<OwnerResources> {
    const labels = this.ownerLabels(owner);
    const network = await this.fixtures.network(`${tag}-lan`, labels);
    const containers: string[] = [];
    const leases: string[] = [];
    for (let i = 0; i < (options.containers ?? 2); i++) {
      const id = await this.fixtures.container(`${tag}-n${i}`, {
        labels,
        running: options.running ?? false,
        network: this.fixtures.name(`${tag}-lan`),
      });
      containers.push(id);
      leases.push(await this.fixtures.lease(this.cniNetwork, id));
    }
    return { containers, networks: [network], leases };
  }

  /** The labels a deployer writes for `owner` (as for materialize), keyed by its uid under labelKey. */
  ownerLabels(owner: string | KubeObject): Record<string, string> {
    return typeof owner === 'string' ? ownerLabels(this.labelKey, owner) : labelsOfOwner(this.labelKey, owner);
  }

  /** Which of an owner's resources still exist. */
  async remaining(resources: OwnerResources): Promise<{ containers: number; networks: number; leases: number }> {
    const count = async (kind: 'container' | 'network', ids: string[]) =>
      (await Promise.all(ids.map((id) => this.fixtures.exists(kind, id)))).filter(Boolean).length;
    return {
      containers: await count('container', resources.containers),
      networks: await count('network', resources.networks),
      leases: (await Promise.all(resources.leases.map((lease) => this.leaseExists(lease)))).filter(Boolean).length,
    };
  }

  async leaseExists(lease: string): Promise<boolean> {
    const { existsSync } = await import('node:fs');
    return existsSync(`${this.fixtures.cniDir}/${lease}`);
  }

  /** The ReapNodeReport of a policy (this scenario's by default) written by the agent of `node`. */
  async nodeReport(node: string, policy = this.policyName): Promise<KubeObject | undefined> {
    return (await this.nodeReports(policy)).find((r) => (r.spec as { node?: string } | undefined)?.node === node);
  }

  /** Every ReapNodeReport of a policy (this scenario's by default). */
  async nodeReports(policy = this.policyName): Promise<KubeObject[]> {
    const list = (await this.custom.listClusterCustomObject({
      group,
      version,
      plural: 'reapnodereports',
      labelSelector: `reaper.dev/policy=${labelValue(policy)}`,
    })) as { items: KubeObject[] };
    return list.items.filter((r) => (r.spec as { policy?: string } | undefined)?.policy === policy);
  }

  /** Events about the policy (core/v1, in "default", where cluster-scoped objects' events go). */
  async policyEvents(): Promise<k8s.CoreV1Event[]> {
    const list = await this.core.listEventForAllNamespaces({
      fieldSelector: `involvedObject.kind=ReapPolicy,involvedObject.name=${this.policyName}`,
    });
    return list.items;
  }

  /** Events about one owner (core/v1, in the owner's namespace). */
  async ownerEvents(namespace: string, kind: 'Topology' | 'Sandbox', name: string): Promise<k8s.CoreV1Event[]> {
    const list = await this.core.listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}`,
    });
    return list.items;
  }

  /**
   * Every version of one owner the API server sends from now on (a watch delivers each change in
   * order, so a state the object held only briefly, such as a status written just before the
   * finalizer went, is seen too). The first entry is the ADDED of the current version.
   */
  async watchOwner(plural: 'topologies' | 'sandboxes', namespace: string, name: string): Promise<OwnerWatch> {
    const seen: OwnerWatchEvent[] = [];
    let failure: unknown;
    const abort = await new k8s.Watch(this.kc).watch(
      `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
      { fieldSelector: `metadata.name=${name}` },
      (type: string, object: KubeObject) => seen.push({ type, object }),
      (err: unknown) => {
        if (err) failure = err;
      },
    );
    return {
      seen,
      failure: () => failure,
      stop: () => abort.abort(),
    };
  }

  /**
   * A running container that no rule attributes (no labels at all) with the named volume mounted
   * at /data: Docker refuses to remove a volume a container uses.
   */
  async foreignContainerUsing(suffix: string, volume: string): Promise<string> {
    const container = await this.fixtures.docker.createContainer({
      name: this.fixtures.name(suffix),
      Image: testImage(),
      Cmd: ['sleep', '3600'],
      HostConfig: { NetworkMode: 'none', Binds: [`${volume}:/data`] },
    });
    await container.start();
    return container.id;
  }

  async cleanUp(): Promise<void> {
    await this.custom
      .deleteClusterCustomObject({ group, version, plural: 'reappolicies', name: this.policyName })
      .catch(() => undefined);
    // Agents delete their reports when they see the policy go; one already stopped cannot.
    for (const report of await this.nodeReports().catch(() => [])) {
      await this.custom
        .deleteClusterCustomObject({ group, version, plural: 'reapnodereports', name: report.metadata!.name! })
        .catch(() => undefined);
    }
    for (const namespace of this.namespaces) {
      // Owners may still carry reaper's finalizer if a test failed midway: drop it so the namespace goes.
      for (const plural of ['topologies', 'sandboxes'] as const) {
        const list = (await this.custom
          .listNamespacedCustomObject({ group, version, plural, namespace })
          .catch(() => ({ items: [] }))) as { items: KubeObject[] };
        for (const item of list.items) {
          await this.custom
            .patchNamespacedCustomObject(
              {
                group,
                version,
                plural,
                namespace,
                name: item.metadata!.name!,
                body: { metadata: { finalizers: null } },
              },
              mergePatch,
            )
            .catch(() => undefined);
        }
      }
      await this.core.deleteNamespace({ name: namespace }).catch(() => undefined);
    }
    await this.fixtures.cleanUp();
  }
}

export interface OwnerWatchEvent {
  /** ADDED, MODIFIED, DELETED (or BOOKMARK, ERROR). */
  readonly type: string;
  readonly object: KubeObject;
}

export interface OwnerWatch {
  readonly seen: OwnerWatchEvent[];
  /** Why the watch ended early, if it did. */
  failure(): unknown;
  stop(): void;
}

export function condition(object: KubeObject | undefined, type: string) {
  return object?.status?.conditions?.find((c) => c.type === type);
}

/** A policy's fleet summary when its one node swept cleanly. */
export function oneCleanNode() {
  return { nodes: 1, ready: 1, blocked: 0, degraded: 0, stale: 0, problems: [], problemsOmitted: 0 };
}
