// Which resource (plural, scope) serves an apiVersion/kind, from the API server's discovery through
// client-node's KubernetesObjectApi lookup, so informers and status writes work for any kind a
// ReapPolicy names, CRDs included.
import * as k8s from '@kubernetes/client-node';

export interface GroupVersionKind {
  apiVersion: string;
  kind: string;
}

export interface ResolvedResource extends GroupVersionKind {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export class KindNotServedError extends Error {
  constructor(readonly gvk: GroupVersionKind) {
    super(`the API server does not serve ${gvk.kind} in ${gvk.apiVersion} (is its CRD installed?)`);
    this.name = 'KindNotServedError';
  }
}

/** KubernetesObjectApi keeps its discovery lookup protected; this exposes it and its cache. */
class DiscoveryApi extends k8s.KubernetesObjectApi {
  lookup(apiVersion: string, kind: string): Promise<k8s.V1APIResource | undefined> {
    return this.resource(apiVersion, kind);
  }

  forget(apiVersion: string): void {
    delete this.apiVersionResourceCache[apiVersion];
  }
}

export class ResourceResolver {
  private readonly api: DiscoveryApi;

  constructor(kubeConfig: k8s.KubeConfig) {
    this.api = kubeConfig.makeApiClient(DiscoveryApi);
  }

  /** Throws KindNotServedError when the group/version or the kind is not served (yet). */
  async resolve(gvk: GroupVersionKind): Promise<ResolvedResource> {
    let resource: k8s.V1APIResource | undefined;
    try {
      resource = await this.api.lookup(gvk.apiVersion, gvk.kind);
    } catch (err) {
      // A group/version nobody serves answers 404: the same as an unknown kind.
      if (err instanceof k8s.ApiException && err.code === 404) throw new KindNotServedError(gvk);
      throw err;
    }
    if (!resource) throw new KindNotServedError(gvk);
    const { group, version } = splitApiVersion(gvk.apiVersion);
    return { ...gvk, group, version, plural: resource.name, namespaced: resource.namespaced };
  }

  /** Drops what discovery said about `apiVersion`, e.g. after its CRD changed. */
  forget(apiVersion: string): void {
    this.api.forget(apiVersion);
  }
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The URL path of a collection: all namespaces when `namespace` is absent. */
export function collectionPath(resource: ResolvedResource, namespace?: string): string {
  const root = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
  const scope = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${root}${scope}/${resource.plural}`;
}
