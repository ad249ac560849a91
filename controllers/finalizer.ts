// Adding and removing reaper's finalizer on an owner. The patch carries the resourceVersion the
// change was computed from, so a concurrent change to the list (another controller's finalizer)
// makes it fail with a conflict and be retried from a fresh read, instead of being overwritten.
import * as k8s from '@kubernetes/client-node';

export const TEARDOWN_FINALIZER = 'reaper.dev/teardown';

export interface FinalizerTarget {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; finalizers?: string[] };
}

export function hasFinalizer(object: Pick<FinalizerTarget, 'metadata'>): boolean {
  return object.metadata.finalizers?.includes(TEARDOWN_FINALIZER) ?? false;
}

export class Finalizers {
  private readonly objects: k8s.KubernetesObjectApi;

  constructor(
    kubeConfig: k8s.KubeConfig,
    private readonly fieldManager = 'reaper',
  ) {
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
  }

  add(object: FinalizerTarget): Promise<void> {
    if (hasFinalizer(object)) return Promise.resolve();
    return this.setFinalizers(object, [...(object.metadata.finalizers ?? []), TEARDOWN_FINALIZER]);
  }

  remove(object: FinalizerTarget): Promise<void> {
    if (!hasFinalizer(object)) return Promise.resolve();
    return this.setFinalizers(
      object,
      (object.metadata.finalizers ?? []).filter((f) => f !== TEARDOWN_FINALIZER),
    );
  }

  private async setFinalizers(object: FinalizerTarget, finalizers: string[]): Promise<void> {
    const { name, namespace, resourceVersion } = object.metadata;
    const patch = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      metadata: {
        name,
        ...(namespace ? { namespace } : {}),
        ...(resourceVersion ? { resourceVersion } : {}),
        finalizers,
      },
    };
    await this.objects.patch(patch, undefined, undefined, this.fieldManager, undefined, k8s.PatchStrategy.MergePatch);
  }
}
