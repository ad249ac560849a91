// The ReapNodeReport objects of one agent: created once by server-side apply (name, labels, the
// Node as owner, spec), then written through the status subresource like every other status.
import * as k8s from '@kubernetes/client-node';
import { nodeReportLabels, nodeReportName } from '../api/node-report-name.js';
import type { OwnerReference, ReapNodeReport, ReapNodeReportStatus } from '../api/types.js';
import { isNotFound } from './api-errors.js';
import { withTimeout } from './request-options.js';
import type { ObjectRef, StatusApplier } from './status-apply.js';

export const NODE_REPORT_API_VERSION = 'reaper.dev/v1alpha1';
export const NODE_REPORT_KIND = 'ReapNodeReport';
const GROUP = 'reaper.dev';
const VERSION = 'v1alpha1';
const PLURAL = 'reapnodereports';

export function nodeReportRef(policy: string, node: string): ObjectRef {
  return { apiVersion: NODE_REPORT_API_VERSION, kind: NODE_REPORT_KIND, name: nodeReportName(policy, node) };
}

/**
 * The owner reference to this agent's Node, so the garbage collector deletes its reports with it;
 * undefined when there is no Node of that name (an agent run outside Kubernetes).
 */
export async function nodeOwnerReference(
  kubeConfig: k8s.KubeConfig,
  node: string,
  requestTimeoutMs?: number,
): Promise<OwnerReference | undefined> {
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  try {
    const found = await core.readNode(
      { name: node },
      requestTimeoutMs === undefined ? undefined : withTimeout(requestTimeoutMs),
    );
    if (!found.metadata?.uid) return undefined;
    return { apiVersion: 'v1', kind: 'Node', name: node, uid: found.metadata.uid };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Deletes a report by name; one already gone is fine. */
export async function deleteNodeReport(
  api: k8s.CustomObjectsApi,
  name: string,
  options?: k8s.ConfigurationOptions,
): Promise<void> {
  try {
    await api.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name }, options);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export interface NodeReportObjectsOptions {
  readonly node: string;
  readonly nodeOwner?: OwnerReference | undefined;
  readonly status: StatusApplier;
  readonly requestTimeoutMs?: number;
}

export class NodeReportObjects {
  private readonly api: k8s.CustomObjectsApi;
  private readonly created = new Set<string>();

  constructor(
    kubeConfig: k8s.KubeConfig,
    private readonly options: NodeReportObjectsOptions,
  ) {
    this.api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  }

  /** The stored report of `policy` on this node, if there is one. */
  async read(policy: string): Promise<ReapNodeReport | undefined> {
    try {
      return (await this.api.getClusterCustomObject(
        { group: GROUP, version: VERSION, plural: PLURAL, name: nodeReportName(policy, this.options.node) },
        this.timeout(),
      )) as ReapNodeReport;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Writes the report's status, creating the object first when this agent has not yet (or it was deleted). */
  async write(policy: string, status: ReapNodeReportStatus): Promise<void> {
    const ref = nodeReportRef(policy, this.options.node);
    if (!this.created.has(policy)) await this.create(policy);
    try {
      await this.options.status.apply(ref, status);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // Deleted meanwhile (by hand, or by the summary writer as stale): make it again.
      await this.create(policy);
      await this.options.status.apply(ref, status);
    }
  }

  async delete(policy: string): Promise<void> {
    this.created.delete(policy);
    await deleteNodeReport(this.api, nodeReportName(policy, this.options.node), this.timeout());
  }

  private async create(policy: string): Promise<void> {
    const { node, nodeOwner, status } = this.options;
    const body = {
      apiVersion: NODE_REPORT_API_VERSION,
      kind: NODE_REPORT_KIND,
      metadata: {
        name: nodeReportName(policy, node),
        labels: nodeReportLabels(policy, node),
        ...(nodeOwner ? { ownerReferences: [nodeOwner] } : {}),
      },
      spec: { policy, node },
    };
    await this.api.patchClusterCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        name: body.metadata.name,
        body,
        fieldManager: status.fieldManager,
        force: true,
      },
      this.timeout(k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply)),
    );
    this.created.add(policy);
  }

  private timeout(options?: k8s.ConfigurationOptions): k8s.ConfigurationOptions | undefined {
    const ms = this.options.requestTimeoutMs;
    return ms === undefined ? options : withTimeout(ms, options);
  }
}
