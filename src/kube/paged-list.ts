// A collection listed page by page (`limit`/`continue`), so a start or a relist never asks the API
// server for a whole cluster's owners in one response. client-node 1.4.0 reads a list of custom
// objects into an object's metadata, which has no `continue`: a limited list of a custom kind
// through KubernetesObjectApi ends silently at its first page. Custom kinds (any group) are listed
// through CustomObjectsApi, whose answer is the API server's JSON as sent; core kinds through
// KubernetesObjectApi, whose typed lists keep `continue` as `_continue`.
import * as k8s from '@kubernetes/client-node';
import type { ResolvedResource } from './discovery.js';

export const LIST_PAGE_SIZE = 500;

export interface ListedPage<T> {
  readonly items: T[];
  readonly resourceVersion: string;
  /** The token for the next page; absent on the last one. */
  readonly continue?: string;
}

export interface PagedListTarget {
  readonly namespace?: string;
  readonly labelSelector?: string;
}

export class PagedLister {
  private readonly objects: k8s.KubernetesObjectApi;
  private readonly custom: k8s.CustomObjectsApi;

  constructor(kubeConfig: k8s.KubeConfig) {
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
    this.custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  }

  /**
   * Every object of the collection, one page of `pageSize` at a time. The pages are one consistent
   * snapshot (the API server serves every page at the first one's resourceVersion); a continue
   * token that expired mid-way (410) fails the list, and the informer lists again from the start.
   */
  async listAll<T extends k8s.KubernetesObject>(
    resource: ResolvedResource,
    target: PagedListTarget,
    onItem: (item: T) => T = (item) => item,
    pageSize = LIST_PAGE_SIZE,
  ): Promise<{ items: T[]; resourceVersion: string; pages: number }> {
    const items: T[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    let pages = 0;
    do {
      const page = await this.page<T>(resource, target, pageSize, token);
      for (const item of page.items) items.push(onItem(item));
      resourceVersion = page.resourceVersion;
      token = page.continue;
      pages++;
    } while (token);
    return { items, resourceVersion, pages };
  }

  async page<T extends k8s.KubernetesObject>(
    resource: ResolvedResource,
    target: PagedListTarget,
    limit: number,
    token?: string,
  ): Promise<ListedPage<T>> {
    const namespace = resource.namespaced ? target.namespace : undefined;
    if (resource.group === '') {
      const list = await this.objects.list<T>(
        resource.apiVersion,
        resource.kind,
        namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        target.labelSelector,
        limit,
        token,
      );
      const metadata = list.metadata as k8s.V1ListMeta | undefined;
      return pageOf(list.items, metadata?.resourceVersion, metadata?._continue);
    }
    const query = {
      group: resource.group,
      version: resource.version,
      plural: resource.plural,
      limit,
      ...(target.labelSelector ? { labelSelector: target.labelSelector } : {}),
      ...(token ? { _continue: token } : {}),
    };
    const raw = (await (namespace
      ? this.custom.listNamespacedCustomObject({ ...query, namespace })
      : this.custom.listClusterCustomObject(query))) as {
      items?: T[];
      metadata?: { resourceVersion?: string; continue?: string };
    };
    return pageOf(raw.items ?? [], raw.metadata?.resourceVersion, raw.metadata?.continue);
  }
}

function pageOf<T>(items: T[], resourceVersion: string | undefined, next: string | undefined): ListedPage<T> {
  return { items, resourceVersion: resourceVersion ?? '', ...(next ? { continue: next } : {}) };
}
