// Owners listed straight from the API server (the CLI's source; the controller reads informers).
// Every owner kind is listed completely, page by page, per kind and namespace; any failure (a missing
// CRD, RBAC, the server gone, a continue token that expired) makes the listing unsynced so nothing
// is reaped on a partial view. Like the informers, it asks for metadata alone when the key rule
// reads nothing else, and keeps of each object only what the key rule reads.
import * as k8s from '@kubernetes/client-node';
import pLimit from 'p-limit';
import type { LiveOwners, OwnerRef, PlannedItem } from '../core/model.js';
import type { OwnerLookup, SeenOwners } from '../core/owner-lookup.js';
import type { OwnerKind, Policy } from '../core/policy.js';
import { isNotFound } from '../kube/api-errors.js';
import { ResourceResolver } from '../kube/discovery.js';
import { PagedLister } from '../kube/paged-list.js';
import { projectionOf, projectObject, readsOnlyMetadata } from '../kube/projection.js';
import type { KubeObjectLike } from './owner-objects.js';
import { fieldsReadBy, namespaceSelected, noteOwnerRead, toOwnerRef } from './owner-objects.js';
import type { OwnerListing, OwnerReader, OwnerSource } from './source.js';
import { listingFrom, readOrList } from './source.js';

export class KubeListOwnerSource implements OwnerSource, OwnerReader {
  private readonly resolver: ResourceResolver;
  private readonly lister: PagedLister;
  private readonly objects: k8s.KubernetesObjectApi;

  constructor(kubeConfig: k8s.KubeConfig) {
    this.resolver = new ResourceResolver(kubeConfig);
    this.lister = new PagedLister(kubeConfig);
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
  }

  /** Straight from the API server: the candidates' owners read one by one when few, else listed. */
  recheck(policy: Policy, candidates: readonly PlannedItem[], seen?: SeenOwners): Promise<LiveOwners> {
    return readOrList(this, policy, candidates, seen);
  }

  /**
   * The owners `lookups` name, each read on its own: a key is live when its object is there and
   * still has that key (a re-created owner has another uid). Undefined when one cannot be read so
   * (a namespaced kind with no namespace known): then only a listing can answer. Never throws.
   * The object of uid `deleting` counts as gone once its deletion is under way (noteOwnerRead).
   */
  async read(lookups: readonly OwnerLookup[], deleting?: string): Promise<LiveOwners | undefined> {
    const keys = new Set<string>();
    const errors: string[] = [];
    const limit = pLimit(READ_CONCURRENCY);
    let unreadable = false;
    await Promise.all(
      lookups.map((lookup) =>
        limit(async () => {
          const { owner, namespace, name } = lookup;
          const where = `${owner.kind}.${owner.apiVersion} ${namespace ? `${namespace}/` : ''}${name}`;
          try {
            const resource = await this.resolver.resolve({ apiVersion: owner.apiVersion, kind: owner.kind });
            if (resource.namespaced && namespace === undefined) {
              unreadable = true;
              return;
            }
            const object = await this.objects.read({
              apiVersion: owner.apiVersion,
              kind: owner.kind,
              metadata: { name, ...(resource.namespaced ? { namespace } : {}) },
            });
            noteOwnerRead({ keys, errors }, lookup, object, deleting);
          } catch (err) {
            if (!isNotFound(err)) errors.push(`reading ${where}: ${describe(err)}`);
          }
        }),
      ),
    );
    return unreadable ? undefined : { keys, synced: errors.length === 0, errors };
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
    const gvk = { apiVersion: kind.apiVersion, kind: kind.kind };
    const resource = await this.resolver.resolve(gvk);
    const projection = projectionOf(fieldsReadBy(kind.key));
    const listed = await this.lister.listAll<k8s.KubernetesObject>(
      resource,
      { ...(namespace === undefined ? {} : { namespace }), metadataOnly: readsOnlyMetadata(projection) },
      (object) => projectObject(object, projection, gvk),
    );
    return listed.items as KubeObjectLike[];
  }
}

/** Owner reads in flight at once during one re-check. */
const READ_CONCURRENCY = 8;

function describe(err: unknown): string {
  if (err instanceof k8s.ApiException) return `HTTP ${err.code}: ${String(err.body).slice(0, 300)}`;
  return err instanceof Error ? err.message : String(err);
}
