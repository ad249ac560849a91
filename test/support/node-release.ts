// One release of the chart on the real one-node cluster (test/support/cluster.ts), as the node tests
// set it up: a private dockerd of the test's own (never the shared engine) reached through its
// socket, a namespace for the owners, the image imported by the node project's global setup, and an
// agent set of its own, so that the releases other test files install never sweep this file's
// policies. cleanUp() takes all of it away again, whatever the test left.
import { AGENT_SET_LABEL, agentSetSelector } from './controller-process.js';
import { clusterHelm, clusterHelmRun, clusterKubectl, clusterKubectlRun, reaperImage } from './cluster.js';
import { uniqueName } from './engines.js';
import { chartDir } from './kubectl.js';
import type { PrivateDockerd } from './private-dockerd.js';
import { startPrivateDockerd } from './private-dockerd.js';
import { RuntimeFixtures } from './runtime-fixtures.js';
const apiVersion = 'reaper.dev/v1alpha1';

export interface AgentPod {
  metadata: { name: string; deletionTimestamp?: string };
  status: { phase: string; conditions?: { type: string; status: string }[] };
}

export const podReady = (p: AgentPod): boolean =>
  p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export class NodeRelease {
  readonly releaseNamespace: string;
  readonly ownerNamespace: string;
  /** The label key the policies match on. */
  readonly labelKey = `${uniqueName('t')}.test/owner-uid`;
  /** The agent set: the release sweeps only the policies applied through applyPolicy. */
  readonly agents: string;
  readonly policyName: string;
  private started?: { engine: PrivateDockerd; fx: RuntimeFixtures };
  private installed = false;

  /** `prefix` names the namespaces, the agent set, the policy and the fixtures. */
  constructor(
    readonly release: string,
    private readonly prefix: string,
  ) {
    this.releaseNamespace = uniqueName(prefix);
    this.ownerNamespace = uniqueName(`${prefix}-owners`);
    this.agents = uniqueName(prefix);
    this.policyName = uniqueName(`${prefix}-policy`);
  }

  get engine(): PrivateDockerd {
    if (!this.started) throw new Error('NodeRelease.start() has not run');
    return this.started.engine;
  }

  get fx(): RuntimeFixtures {
    if (!this.started) throw new Error('NodeRelease.start() has not run');
    return this.started.fx;
  }

  /** The private dockerd (with its own address pool, so that engines side by side never clash) and the owners' namespace. */
  async start(addressPool: string): Promise<void> {
    const engine = await startPrivateDockerd({ addressPool });
    this.started = { engine, fx: new RuntimeFixtures(this.prefix, engine.docker) };
    clusterKubectl(['create', 'namespace', this.ownerNamespace]);
  }

  /** `helm install` of the chart with the node's image, the private engine and the agent set, then `values`. */
  install(values: readonly string[]): void {
    const { repository, tag } = reaperImage();
    clusterHelm(
      [
        'install',
        this.release,
        chartDir,
        '-n',
        this.releaseNamespace,
        '--create-namespace',
        '--set',
        `image.repository=${repository}`,
        '--set',
        `image.tag=${tag}`,
        '--set',
        'image.pullPolicy=Never',
        '--set',
        `docker.host=${this.engine.dockerHost}`,
        '--set',
        `policySelector=${agentSetSelector(this.agents)}`,
        ...values,
      ],
      240_000,
    );
    this.installed = true;
  }

  /** `helm uninstall`, waiting for it. */
  uninstall(): void {
    clusterHelm(['uninstall', this.release, '-n', this.releaseNamespace, '--wait', '--timeout=2m'], 180_000);
    this.installed = false;
  }

  /** The release's agent pods, those being deleted left out. */
  agentPods<P extends AgentPod = AgentPod>(): P[] {
    const list = JSON.parse(
      clusterKubectl([
        'get',
        'pods',
        '-n',
        this.releaseNamespace,
        '-l',
        'app.kubernetes.io/component=agent',
        '-o',
        'json',
      ]),
    ) as { items: P[] };
    return list.items.filter((p) => !p.metadata.deletionTimestamp);
  }

  /** Applies the ReapPolicy `policyName` for this release's agents. */
  applyPolicy(spec: Record<string, unknown>): void {
    clusterKubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion,
        kind: 'ReapPolicy',
        metadata: { name: this.policyName, labels: { [AGENT_SET_LABEL]: this.agents } },
        spec,
      }),
    );
  }

  /**
   * A policy spec of Topologies in the owners' namespace matching on labelKey, reaping at once and
   * sweeping again only after an hour; `spec` replaces whole fields.
   */
  policySpec(spec: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      owners: [{ apiVersion, kind: 'Topology', namespaces: [this.ownerNamespace] }],
      match: [{ label: this.labelKey }],
      resources: { containers: { stopTimeoutSeconds: 1 } },
      timing: { minAge: '0s', gracePeriod: '0s', interval: '1h' },
      limits: { maxOrphanPercent: 100 },
      ...spec,
    };
  }

  async cleanUp(): Promise<void> {
    if (this.installed) {
      clusterHelmRun(['uninstall', this.release, '-n', this.releaseNamespace, '--wait', '--timeout=2m']);
    }
    // Owners a failed test left with reaper's finalizer, then the policy and the namespaces.
    const left = clusterKubectlRun(['get', 'topologies.reaper.dev', '-n', this.ownerNamespace, '-o', 'name']);
    for (const name of left.stdout.split('\n').filter(Boolean)) {
      clusterKubectlRun([
        'patch',
        name,
        '-n',
        this.ownerNamespace,
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]);
    }
    clusterKubectlRun(['delete', 'reappolicy', this.policyName, '--ignore-not-found']);
    clusterKubectlRun([
      'delete',
      'namespace',
      this.ownerNamespace,
      this.releaseNamespace,
      '--ignore-not-found',
      '--wait=false',
    ]);
    await this.started?.fx.cleanUp();
    await this.started?.engine.destroy();
  }
}
