// Writes status with server-side apply through the status subresource. Agents apply under the field
// manager "reaper", the summary writer under "reaper-summary", so neither removes the other's fields
// (an owner's Managed condition, its resources) and fields set by anyone else are left alone.
// An apply states everything the manager wants: a field it applied before and leaves out now is
// removed. Only status is sent, so spec can never be written from here; force takes our own fields
// back if another manager (e.g. a hand edit) claimed them.
import * as k8s from '@kubernetes/client-node';
import { statusChanged } from '../status/conditions.js';
import type { GroupVersionKind } from './discovery.js';
import { ResourceResolver } from './discovery.js';
import { withTimeout } from './request-options.js';

export interface ObjectRef extends GroupVersionKind {
  name: string;
  /** Required for namespaced kinds. */
  namespace?: string | undefined;
}

export interface StatusApplierOptions {
  /** Defaults to "reaper". */
  fieldManager?: string;
  resolver?: ResourceResolver;
  /** applyIfChanged() re-applies an unchanged status after this long anyway, undoing foreign edits. Default 10 min. */
  reapplyAfterMs?: number;
  /** An apply unanswered this long fails (a hung API server must not hold a reconcile forever); none by default. */
  requestTimeoutMs?: number;
  now?: () => number;
}

export const DEFAULT_FIELD_MANAGER = 'reaper';
const applyPatch = () => k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);

export class StatusApplier {
  private readonly api: k8s.CustomObjectsApi;
  private readonly resolver: ResourceResolver;
  readonly fieldManager: string;
  private readonly reapplyAfterMs: number;
  private readonly now: () => number;
  private readonly requestOptions: () => k8s.ConfigurationOptions;
  private readonly lastApplied = new Map<string, { status: unknown; at: number }>();

  constructor(kubeConfig: k8s.KubeConfig, options: StatusApplierOptions = {}) {
    this.reapplyAfterMs = options.reapplyAfterMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
    this.api = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    this.resolver = options.resolver ?? new ResourceResolver(kubeConfig);
    this.fieldManager = options.fieldManager ?? DEFAULT_FIELD_MANAGER;
    const timeoutMs = options.requestTimeoutMs;
    this.requestOptions = timeoutMs === undefined ? applyPatch : () => withTimeout(timeoutMs, applyPatch());
  }

  /** Applies `status` as all of the status this manager owns; returns the object as stored. */
  async apply(ref: ObjectRef, status: object, fieldManager = this.fieldManager): Promise<k8s.KubernetesObject> {
    const resource = await this.resolver.resolve(ref);
    if (!resource.group) throw new Error(`status apply serves custom resources only, not ${ref.kind}`);
    if (resource.namespaced && !ref.namespace) {
      throw new Error(`${ref.kind} ${ref.name} is namespaced: name its namespace`);
    }
    const body = {
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: resource.namespaced ? { name: ref.name, namespace: ref.namespace } : { name: ref.name },
      status,
    };
    const common = { group: resource.group, version: resource.version, plural: resource.plural, name: ref.name };
    const request = { ...common, body, fieldManager, force: true };
    const stored: unknown = resource.namespaced
      ? await this.api.patchNamespacedCustomObjectStatus(
          { ...request, namespace: ref.namespace! },
          this.requestOptions(),
        )
      : await this.api.patchClusterCustomObjectStatus(request, this.requestOptions());
    return stored as k8s.KubernetesObject;
  }

  /**
   * Applies `status` unless this applier already applied the same one recently: the common case of a
   * reconcile that changed nothing costs no API call. Returns whether it applied.
   */
  async applyIfChanged(ref: ObjectRef, status: object, fieldManager = this.fieldManager): Promise<boolean> {
    const key = [ref.apiVersion, ref.kind, ref.namespace ?? '', ref.name, fieldManager].join('|');
    const last = this.lastApplied.get(key);
    if (last && this.now() - last.at < this.reapplyAfterMs && !statusChanged(last.status, status)) return false;
    this.lastApplied.delete(key);
    await this.apply(ref, status, fieldManager);
    this.lastApplied.set(key, { status: structuredClone(status), at: this.now() });
    return true;
  }

  /** Forgets what was applied to an object, e.g. once it is deleted. */
  forget(ref: ObjectRef): void {
    const prefix = [ref.apiVersion, ref.kind, ref.namespace ?? '', ref.name, ''].join('|');
    for (const key of this.lastApplied.keys()) if (key.startsWith(prefix)) this.lastApplied.delete(key);
  }
}
