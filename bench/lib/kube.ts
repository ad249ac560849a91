// The Kubernetes side of the controller benchmarks: owners in bulk, the policy, and the API
// server's own request counters.
import * as k8s from '@kubernetes/client-node';
import pLimit from 'p-limit';
import type { Metrics } from './controller.js';
import { parseMetrics } from './controller.js';
import { installCrds, kubectl } from '../../test/support/kubectl.js';

export const GROUP = 'reaper.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export interface Owner {
  readonly kind: 'Topology' | 'Sandbox';
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

const PLURAL = { Topology: 'topologies', Sandbox: 'sandboxes' } as const;

export class BenchCluster {
  readonly kc = new k8s.KubeConfig();
  readonly custom: k8s.CustomObjectsApi;
  readonly core: k8s.CoreV1Api;

  constructor() {
    this.kc.loadFromDefault();
    this.custom = this.kc.makeApiClient(k8s.CustomObjectsApi);
    this.core = this.kc.makeApiClient(k8s.CoreV1Api);
    installCrds();
  }

  async createNamespace(name: string): Promise<void> {
    await this.core.createNamespace({ body: { metadata: { name } } });
  }

  async deleteNamespace(name: string): Promise<void> {
    await this.core.deleteNamespace({ name }).catch(() => undefined);
  }

  /** `count` owners named `<prefix>-<i>`, created with bounded concurrency. */
  async createOwners(
    namespace: string,
    prefix: string,
    count: number,
    kindOf: (i: number) => Owner['kind'],
    start = 0,
  ): Promise<Owner[]> {
    const limit = pLimit(16);
    return Promise.all(
      Array.from({ length: count }, (_, j) =>
        limit(async () => {
          const i = start + j;
          const kind = kindOf(i);
          const name = `${prefix}-${i}`;
          const spec =
            kind === 'Topology'
              ? {
                  networks: [{ name: 'lan' }],
                  nodes: [
                    { name: 'n0', image: 'reaper-test/busybox:1', networks: ['lan'] },
                    { name: 'n1', image: 'reaper-test/busybox:1', networks: ['lan'] },
                  ],
                }
              : { image: 'reaper-test/busybox:1', network: 'lan' };
          const created = (await this.custom.createNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            plural: PLURAL[kind],
            namespace,
            body: { apiVersion: API_VERSION, kind, metadata: { name, namespace }, spec },
          })) as k8s.KubernetesObject;
          return { kind, namespace, name, uid: created.metadata!.uid! };
        }),
      ),
    );
  }

  async deleteOwner(owner: Owner): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL[owner.kind],
      namespace: owner.namespace,
      name: owner.name,
    });
  }

  async createPolicy(name: string, spec: Record<string, unknown>): Promise<void> {
    await this.custom.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'reappolicies',
      body: { apiVersion: API_VERSION, kind: 'ReapPolicy', metadata: { name }, spec },
    });
  }

  async patchPolicy(name: string, patch: Record<string, unknown>): Promise<void> {
    await this.custom.patchClusterCustomObject(
      { group: GROUP, version: VERSION, plural: 'reappolicies', name, body: patch },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }

  async deletePolicy(name: string): Promise<void> {
    await this.custom
      .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'reappolicies', name })
      .catch(() => undefined);
  }

  async policy(name: string): Promise<{ status?: Record<string, unknown> }> {
    return (await this.custom.getClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'reappolicies',
      name,
    })) as { status?: Record<string, unknown> };
  }
}

/** The API server's own metrics (kubectl get --raw /metrics). */
export function apiserverMetrics(): Metrics {
  return parseMetrics(kubectl(['get', '--raw', '/metrics']));
}

/**
 * apiserver_request_total by "VERB group/resource[/subresource]", WATCH and the API server's own
 * health checks left out.
 */
export function requestsByCall(metrics: Metrics): Map<string, number> {
  const calls = new Map<string, number>();
  for (const [key, value] of metrics) {
    if (!key.startsWith('apiserver_request_total{')) continue;
    const label = (name: string) => new RegExp(`[{,]${name}="([^"]*)"`).exec(key)?.[1] ?? '';
    const verb = label('verb');
    if (verb === 'WATCH' || verb === 'CONNECT') continue;
    const resource = label('resource');
    if (resource === '') continue; // /healthz, /metrics, discovery
    const subresource = label('subresource');
    const group = label('group') || 'core';
    const call = `${verb} ${group}/${resource}${subresource ? `/${subresource}` : ''}`;
    calls.set(call, (calls.get(call) ?? 0) + value);
  }
  return calls;
}

export function diffCalls(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const diff = new Map<string, number>();
  for (const [call, n] of after) {
    const d = n - (before.get(call) ?? 0);
    if (d > 0) diff.set(call, d);
  }
  return diff;
}

export function describeCalls(calls: Map<string, number>, per = 1): string {
  const entries = [...calls].sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return 'none';
  return entries.map(([call, n]) => `${fmt(n / per)} × ${call}`).join(', ');
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
