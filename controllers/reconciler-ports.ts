// What the reconcilers (policy-controller.ts, owner-controller.ts) ask of the world outside them:
// exactly the calls they make. The concrete clients manager.ts builds satisfy these as they are, and
// the reconcilers' unit tests stand in-process fakes in their place and look at what was asked.
import type * as k8s from '@kubernetes/client-node';
import type { Policy } from '../src/core/policy.js';
import type { EventSubject } from '../src/kube/event-recorder.js';
import type { InformerState, InformerTarget } from '../src/kube/informer.js';
import type { ObjectRef } from '../src/kube/status-apply.js';
import type { Backends } from '../src/runtime/backend.js';
import type { FinalizerChange, FinalizerTarget } from './finalizer.js';

/** Events on an object, for `kubectl describe` (EventRecorder). */
export interface Events {
  normal(subject: EventSubject, reason: string, message: string, count?: number): void;
  warning(subject: EventSubject, reason: string, message: string, count?: number): void;
}

/** Writes an object's status subresource (StatusApplier). */
export interface StatusWriter {
  apply(ref: ObjectRef, status: object): Promise<unknown>;
  /** The object is gone: drop what is remembered of its status. */
  forget(ref: ObjectRef): void;
}

/** Adds and removes reaper's finalizer on the object as stored, matched by uid (Finalizers). */
export interface FinalizerWriter {
  add(target: FinalizerTarget): Promise<FinalizerChange>;
  remove(target: FinalizerTarget): Promise<FinalizerChange>;
}

/** The runtime on this node: the backends a sweep lists and removes through (RuntimeEngine). */
export interface Runtime {
  backendsFor(policy: Policy): Backends;
}

/** One owner kind's cache (ResilientInformer). */
export interface OwnerCache {
  readonly synced: boolean;
  /**
   * Changes whenever the cached objects or the state change, and differs from every other cache's
   * (readers keep what they derived while it stays the same). A cache without one is read afresh.
   */
  readonly revision?: number;
  state(): InformerState;
  list(): readonly k8s.KubernetesObject[];
  get(name: string, namespace?: string): k8s.KubernetesObject | undefined;
}

/** The owners as the informer caches hold them, one cache per owner kind (DynamicInformerSet). */
export interface OwnerCaches {
  get(target: InformerTarget): OwnerCache | undefined;
}

/** Reads an object from the API server, never a cache; rejects with the API's 404 when it is gone. */
export interface StoredObjects {
  read(header: {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string };
  }): Promise<k8s.KubernetesObject>;
}
