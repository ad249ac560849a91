// In-process stand-ins for the reconcilers' ports (controllers/reconciler-ports.ts), for their unit
// tests: each keeps what it was asked, and `calls` logs every write of every fake in order, so a test
// can say what was done and in what order (sample-controller's expected actions).
import type * as k8s from '@kubernetes/client-node';
import type {
  Events,
  FinalizerWriter,
  OwnerCaches,
  Runtime,
  StatusWriter,
  StoredObjects,
} from '../../controllers/reconciler-ports.js';
import type { FinalizerChange, FinalizerTarget } from '../../controllers/finalizer.js';
import type { ObjectMeta, OwnerStatus, ReapPolicy, ReapPolicySpec } from '../../src/api/types.js';
import type { ResourceKind, RuntimeResource } from '../../src/core/model.js';
import { resourceKey } from '../../src/core/model.js';
import type { EventSubject, EventType } from '../../src/kube/event-recorder.js';
import type { InformerState, InformerTarget } from '../../src/kube/informer.js';
import type { ObjectRef } from '../../src/kube/status-apply.js';
import type { LiveOwners } from '../../src/core/model.js';
import type { OwnerLookup } from '../../src/core/owner-lookup.js';
import { noteOwnerRead } from '../../src/owners/owner-objects.js';
import type { OwnerReader } from '../../src/owners/source.js';
import type { Backends, RuntimeBackend } from '../../src/runtime/backend.js';
import type { RemovalResult } from '../../src/runtime/removal.js';
import { reaped } from '../../src/runtime/removal.js';

export const SYNCED: InformerState = { synced: true, healthy: true };

/** A ReapPolicy object as the informer delivers it; `spec` as written, the API server's defaults left to parsePolicy. */
export function reapPolicy(
  name: string,
  spec: ReapPolicySpec | Record<string, unknown> = {},
  metadata: Partial<ReapPolicy['metadata']> = {},
): ReapPolicy {
  return {
    apiVersion: 'reaper.dev/v1alpha1',
    kind: 'ReapPolicy',
    metadata: { name, uid: `uid-${name}`, generation: 1, resourceVersion: '1', ...metadata },
    spec,
  } as ReapPolicy;
}

export const TOPOLOGY = { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology' } as const;
export const SANDBOX = { apiVersion: 'reaper.dev/v1alpha1', kind: 'Sandbox' } as const;

/**
 * A policy over Topologies keyed by `.spec.labId`, the key test/unit/core/fixtures.ts's resources
 * carry in their labels; no grace period unless `overrides` set one.
 */
export const labPolicySpec = (overrides: ReapPolicySpec = {}): ReapPolicySpec => ({
  owners: [{ ...TOPOLOGY, key: '.spec.labId' }],
  timing: { gracePeriod: '0s', interval: '5m' },
  ...overrides,
});

/** The Topology `t-<labId>` in namespace `labs`, as its cache (or the API server) holds it. */
export function topology(
  labId: string,
  metadata: Partial<ObjectMeta> = {},
  status?: OwnerStatus,
): k8s.KubernetesObject {
  return {
    ...TOPOLOGY,
    metadata: { name: `t-${labId}`, namespace: 'labs', uid: `uid-${labId}`, generation: 1, ...metadata },
    spec: { labId },
    ...(status ? { status } : {}),
  } as unknown as k8s.KubernetesObject;
}

/** The log every fake writes to: one line per call that changes something outside the reconciler. */
export class Calls {
  readonly log: string[] = [];
  add(line: string): void {
    this.log.push(line);
  }
}

/** The node's runtime in memory: listings of what is left, removals by `outcome`, a listing that can fail. */
export class FakeRuntime implements Runtime {
  resources: RuntimeResource[];
  /** Set: every listing fails with it, as an engine that does not answer. */
  listError: string | undefined;
  outcome: (resource: RuntimeResource) => RemovalResult = () => reaped();
  /** How often a sweep asked for backends. */
  sweeps = 0;

  constructor(
    resources: readonly RuntimeResource[] = [],
    private readonly calls = new Calls(),
  ) {
    this.resources = [...resources];
  }

  backendsFor(): Backends {
    this.sweeps++;
    const backend = (kind: ResourceKind): RuntimeBackend => ({
      kind,
      list: () =>
        this.listError === undefined
          ? Promise.resolve(this.resources.filter((r) => r.kind === kind))
          : Promise.reject(new Error(this.listError)),
      remove: (resource) => {
        const result = this.outcome(resource);
        this.calls.add(`remove ${resourceKey(resource)}: ${result.status}`);
        if (result.status === 'reaped') this.resources = this.resources.filter((r) => r !== resource);
        return Promise.resolve(result);
      },
    });
    return {
      container: backend('container'),
      network: backend('network'),
      volume: backend('volume'),
      ipLease: backend('ipLease'),
    };
  }

  get removed(): string[] {
    return this.calls.log.filter((line) => line.startsWith('remove '));
  }
}

export interface RecordedEvent {
  readonly type: EventType;
  readonly subject: EventSubject;
  readonly reason: string;
  readonly message: string;
}

export class RecordingEvents implements Events {
  readonly recorded: RecordedEvent[] = [];

  constructor(private readonly calls = new Calls()) {}

  normal(subject: EventSubject, reason: string, message: string): void {
    this.record('Normal', subject, reason, message);
  }

  warning(subject: EventSubject, reason: string, message: string): void {
    this.record('Warning', subject, reason, message);
  }

  reasons(): string[] {
    return this.recorded.map((e) => `${e.type} ${e.reason}`);
  }

  private record(type: EventType, subject: EventSubject, reason: string, message: string): void {
    this.recorded.push({ type, subject, reason, message });
    this.calls.add(`event ${type} ${reason}`);
  }
}

/** One cache per owner kind, each with its state and objects; a kind not set has no cache. */
export class FakeOwnerCaches implements OwnerCaches {
  private readonly caches = new Map<string, { state: InformerState; objects: k8s.KubernetesObject[] }>();

  set(target: InformerTarget, objects: k8s.KubernetesObject[], state: InformerState = SYNCED): this {
    this.caches.set(`${target.apiVersion}|${target.kind}`, { state, objects });
    return this;
  }

  get(target: InformerTarget) {
    const cache = this.caches.get(`${target.apiVersion}|${target.kind}`);
    if (!cache) return undefined;
    return {
      synced: cache.state.synced,
      state: () => ({ ...cache.state }),
      list: () => cache.objects,
      get: (name: string, namespace?: string) =>
        cache.objects.find((o) => o.metadata?.name === name && o.metadata?.namespace === namespace),
    };
  }
}

export class RecordingStatus implements StatusWriter {
  readonly applied: { ref: ObjectRef; status: object }[] = [];
  readonly forgotten: ObjectRef[] = [];

  constructor(private readonly calls = new Calls()) {}

  apply(ref: ObjectRef, status: object): Promise<unknown> {
    this.applied.push({ ref, status });
    this.calls.add(`status ${ref.name}`);
    return Promise.resolve({});
  }

  forget(ref: ObjectRef): void {
    this.forgotten.push(ref);
  }
}

export class FakeFinalizers implements FinalizerWriter {
  /** What the next removal does: answer, or throw (e.g. the API's 404). */
  removal: () => FinalizerChange = () => 'changed';

  constructor(private readonly calls = new Calls()) {}

  add(target: FinalizerTarget): Promise<FinalizerChange> {
    this.calls.add(`finalizer add ${target.metadata.name}`);
    return Promise.resolve('changed');
  }

  remove(target: FinalizerTarget): Promise<FinalizerChange> {
    this.calls.add(`finalizer remove ${target.metadata.name}`);
    try {
      return Promise.resolve(this.removal());
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
}

/** The API's answer for an object that is not there. */
export const notFound = (): Error => Object.assign(new Error('not found'), { code: 404 });

/** The API server's objects by kind, namespace and name; reading a missing one rejects with a 404. */
export class FakeStoredObjects implements StoredObjects {
  readonly objects = new Map<string, k8s.KubernetesObject>();

  put(object: k8s.KubernetesObject): this {
    this.objects.set(keyOf(object.kind!, object.metadata?.namespace, object.metadata!.name!), object);
    return this;
  }

  read(header: { kind: string; metadata: { name: string; namespace?: string } }): Promise<k8s.KubernetesObject> {
    const object = this.objects.get(keyOf(header.kind, header.metadata.namespace, header.metadata.name));
    return object ? Promise.resolve(structuredClone(object)) : Promise.reject(notFound());
  }
}

/** The owners read afresh from the stored objects, as the API server would answer single reads. */
export class FakeOwnerReader implements Pick<OwnerReader, 'read'> {
  constructor(private readonly stored: FakeStoredObjects) {}

  async read(lookups: readonly OwnerLookup[], deleting?: string): Promise<LiveOwners> {
    const keys = new Set<string>();
    const errors: string[] = [];
    for (const lookup of lookups) {
      const header = {
        kind: lookup.owner.kind,
        metadata: { name: lookup.name, ...(lookup.namespace ? { namespace: lookup.namespace } : {}) },
      };
      const object = await this.stored.read(header).catch(() => undefined);
      if (object) noteOwnerRead({ keys, errors }, lookup, object, deleting);
    }
    return { keys, synced: errors.length === 0, errors };
  }
}

const keyOf = (kind: string, namespace: string | undefined, name: string) => `${kind}|${namespace ?? ''}|${name}`;
