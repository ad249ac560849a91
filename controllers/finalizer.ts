// Adding and removing reaper's finalizer on an owner. A change is computed from the object as the
// API server holds it now (a fresh read, not the cache, which lags our own writes) and sent with
// that resourceVersion, so a concurrent change to the list (another controller's finalizer) makes
// the patch conflict instead of being overwritten; a conflict reads again and retries.
import * as k8s from '@kubernetes/client-node';
import { isConflict, isNotFound } from '../src/kube/api-errors.js';

export const TEARDOWN_FINALIZER = 'reaper.dev/teardown';

/** Reads and patches in a row before a conflict is given to the caller (whose queue backs off). */
const MAX_ATTEMPTS = 5;

export interface FinalizerTarget {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    /** When set, only this object: one deleted and created again under the same name is left alone. */
    uid?: string;
    resourceVersion?: string;
    finalizers?: string[];
    deletionTimestamp?: unknown;
  };
}

export function hasFinalizer(object: Pick<FinalizerTarget, 'metadata'>): boolean {
  return object.metadata.finalizers?.includes(TEARDOWN_FINALIZER) ?? false;
}

/** What a finalizer change did: `gone` when the object no longer exists (or was replaced). */
export type FinalizerChange = 'changed' | 'unchanged' | 'gone';

export class Finalizers {
  private readonly objects: k8s.KubernetesObjectApi;

  constructor(
    kubeConfig: k8s.KubeConfig,
    private readonly fieldManager = 'reaper',
  ) {
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
  }

  /** Adds the finalizer, unless the object is already being deleted (the API server refuses new finalizers then). */
  add(target: FinalizerTarget): Promise<FinalizerChange> {
    return this.change(target, (stored) =>
      hasFinalizer(stored) || stored.metadata.deletionTimestamp
        ? undefined
        : [...(stored.metadata.finalizers ?? []), TEARDOWN_FINALIZER],
    );
  }

  remove(target: FinalizerTarget): Promise<FinalizerChange> {
    return this.change(target, (stored) =>
      hasFinalizer(stored) ? (stored.metadata.finalizers ?? []).filter((f) => f !== TEARDOWN_FINALIZER) : undefined,
    );
  }

  /** `next` returns the new finalizer list, or undefined when the stored object needs no change. */
  private async change(
    target: FinalizerTarget,
    next: (stored: FinalizerTarget) => string[] | undefined,
  ): Promise<FinalizerChange> {
    for (let attempt = 1; ; attempt++) {
      const stored = await this.read(target);
      if (!stored) return 'gone';
      const finalizers = next(stored);
      if (!finalizers) return 'unchanged';
      try {
        await this.patch(stored, finalizers);
        return 'changed';
      } catch (err) {
        if (isNotFound(err)) return 'gone';
        if (!isConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
      }
    }
  }

  private async read(target: FinalizerTarget): Promise<FinalizerTarget | undefined> {
    const { name, namespace, uid } = target.metadata;
    try {
      const stored = (await this.objects.read({
        apiVersion: target.apiVersion,
        kind: target.kind,
        metadata: { name, ...(namespace ? { namespace } : {}) },
      })) as FinalizerTarget;
      if (uid && stored.metadata.uid !== uid) return undefined;
      return { ...stored, apiVersion: target.apiVersion, kind: target.kind };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async patch(stored: FinalizerTarget, finalizers: string[]): Promise<void> {
    const { name, namespace, resourceVersion } = stored.metadata;
    const patch = {
      apiVersion: stored.apiVersion,
      kind: stored.kind,
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
