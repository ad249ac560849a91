// A collection listed page by page (`limit`/`continue`), so a start or a relist never asks the API
// server for a whole cluster's owners in one response, as whole objects or as their metadata alone
// (PartialObjectMetadataList, as client-go's metadata informers list). Every page is read as the
// API server's JSON as sent: client-node 1.4.0 deserializes a list it has no model for (a custom
// kind's, a PartialObjectMetadataList) with an object's metadata, which has no `continue`, so a
// limited list would end silently at its first page.
import * as k8s from '@kubernetes/client-node';
import type { ResolvedResource } from './discovery.js';
import { collectionPath } from './discovery.js';

export const LIST_PAGE_SIZE = 500;

/** Asks the API server for a collection's objects as PartialObjectMetadata (a watch: informer.ts). */
export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';

export interface ListedPage<T> {
  readonly items: T[];
  readonly resourceVersion: string;
  /** The token for the next page; absent on the last one. */
  readonly continue?: string;
}

export interface PagedListTarget {
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** Only the objects' metadata (PartialObjectMetadata, kind and apiVersion `meta.k8s.io/v1`). */
  readonly metadataOnly?: boolean;
}

/** A marker for processResponse: this answer is returned as parsed, not deserialized. */
const AS_SENT = 'as sent';

/** client-node's request machinery (auth, TLS, the request budget, middleware) for one raw GET. */
class CollectionApi extends k8s.KubernetesObjectApi {
  getCollection(path: string, accept: string, query: Record<string, string>): Promise<unknown> {
    const context = this.configuration.baseServer.makeRequestContext(path, k8s.HttpMethod.GET);
    context.setHeaderParam('Accept', accept);
    for (const [name, value] of Object.entries(query)) context.setQueryParam(name, value);
    return this.requestPromise(context, AS_SENT);
  }

  protected override async processResponse<T extends k8s.KubernetesObject>(
    response: k8s.ResponseContext,
    type?: string,
  ): Promise<T> {
    const ok = response.httpStatusCode >= 200 && response.httpStatusCode <= 299;
    // Failures go the usual way, as ApiException with the Status the server sent.
    if (type !== AS_SENT || !ok) return super.processResponse(response, type);
    return JSON.parse(await response.body.text()) as T;
  }
}

export class PagedLister {
  private readonly api: CollectionApi;

  constructor(kubeConfig: k8s.KubeConfig) {
    this.api = kubeConfig.makeApiClient(CollectionApi);
  }

  /**
   * Every object of the collection, one page of `pageSize` at a time. The pages are one consistent
   * snapshot (the API server serves every page at the first one's resourceVersion); a continue
   * token that expired mid-way (410) fails the list, and the informer lists again from the start.
   * `onItem` sees each object as decoded, before the next page comes (to cut it down at once).
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
    const raw = (await this.api.getCollection(
      collectionPath(resource, namespace),
      target.metadataOnly ? METADATA_LIST_ACCEPT : 'application/json',
      {
        limit: String(limit),
        ...(target.labelSelector ? { labelSelector: target.labelSelector } : {}),
        ...(token ? { continue: token } : {}),
      },
    )) as { items?: T[] | null; metadata?: { resourceVersion?: string; continue?: string } };
    const next = raw.metadata?.continue;
    return {
      items: raw.items ?? [],
      resourceVersion: raw.metadata?.resourceVersion ?? '',
      ...(next ? { continue: next } : {}),
    };
  }
}
