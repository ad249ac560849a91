// Owners listed straight from the API server (the CLI's source; the controller reads informers).
// Every owner kind is listed completely, page by page, per kind and namespace; any failure (a missing
// CRD, RBAC, the server gone, a continue token that expired) makes the listing unsynced so nothing
// is reaped on a partial view.
import * as k8s from '@kubernetes/client-node';
import type { OwnerRef } from '../core/model.js';
import type { OwnerKind, Policy } from '../core/policy.js';
import { ResourceResolver } from '../kube/discovery.js';
import { PagedLister } from '../kube/paged-list.js';
import type { KubeObjectLike } from './owner-objects.js';
import { namespaceSelected, toOwnerRef } from './owner-objects.js';
import type { OwnerListing, OwnerSource } from './source.js';
import { listingFrom } from './source.js';

export class KubeListOwnerSource implements OwnerSource {
  readonly description = 'cluster';
  private readonly resolver: ResourceResolver;
  private readonly lister: PagedLister;

  constructor(kubeConfig: k8s.KubeConfig) {
    this.resolver = new ResourceResolver(kubeConfig);
    this.lister = new PagedLister(kubeConfig);
  }

  async list(policy: Policy): Promise<OwnerListing> {
    const owners: OwnerRef[] = [];
    const errors: string[] = [];
    for (const kind of policy.owners) {
      const namespaces = kind.namespaces.length > 0 ? kind.namespaces : [undefined];
      for (const namespace of namespaces) {
        try {
          for (const object of await this.listAll(kind, namespace)) {
            if (!namespaceSelected(kind, object.metadata?.namespace)) continue;
            const ref = toOwnerRef(object, kind);
            if (typeof ref === 'string') errors.push(ref);
            else owners.push(ref);
          }
        } catch (err) {
          errors.push(
            `listing ${kind.kind}.${kind.apiVersion}${namespace ? ` in ${namespace}` : ''}: ${describe(err)}`,
          );
        }
      }
    }
    return listingFrom(owners, errors);
  }

  private async listAll(kind: OwnerKind, namespace: string | undefined): Promise<KubeObjectLike[]> {
    const resource = await this.resolver.resolve({ apiVersion: kind.apiVersion, kind: kind.kind });
    const listed = await this.lister.listAll(resource, namespace === undefined ? {} : { namespace });
    return listed.items as KubeObjectLike[];
  }
}

function describe(err: unknown): string {
  if (err instanceof k8s.ApiException) return `HTTP ${err.code}: ${String(err.body).slice(0, 300)}`;
  return err instanceof Error ? err.message : String(err);
}
