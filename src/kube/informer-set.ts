// Informers for a set of targets that changes at run time: the controller derives the targets from
// the ReapPolicies (their owner kinds and namespaces) and calls setTargets() whenever a policy changes;
// informers for new targets start, informers no longer wanted stop, and an informer whose
// projection (what it keeps of each object) is no longer the one wanted starts over with the new
// one: its cache lacks what the new one keeps. One resolver is shared, so discovery is fetched once
// per group/version.
import type * as k8s from '@kubernetes/client-node';
import type { InformerOptions, InformerState, InformerTarget, ObjectEvent } from './informer.js';
import { ResilientInformer, targetKey } from './informer.js';
import { sameProjection } from './projection.js';
import { ResourceResolver } from './discovery.js';

export type TargetEventHandler = (event: ObjectEvent, object: k8s.KubernetesObject, target: InformerTarget) => void;
export type TargetStateHandler = (target: InformerTarget, state: InformerState) => void;

export interface DynamicInformerSetOptions extends InformerOptions {
  onEvent?: TargetEventHandler;
  onStateChange?: TargetStateHandler;
}

export interface TargetState extends InformerState {
  target: InformerTarget;
}

export class DynamicInformerSet {
  private readonly informers = new Map<string, ResilientInformer>();
  private readonly stopping = new Set<Promise<void>>();
  private readonly options: DynamicInformerSetOptions;
  private stopped = false;

  constructor(
    private readonly kubeConfig: k8s.KubeConfig,
    options: DynamicInformerSetOptions = {},
  ) {
    this.options = { ...options, resolver: options.resolver ?? new ResourceResolver(kubeConfig) };
  }

  /**
   * Makes the running informers exactly `targets` (duplicates collapse; of two with one key, the
   * last wins). New informers start in the background; their state tells when they are synced.
   * `replaced` started over for a new projection: until synced again they are not ready, so
   * nothing is swept on a cache that lacks a field a policy now reads.
   */
  setTargets(targets: readonly InformerTarget[]): {
    added: InformerTarget[];
    removed: InformerTarget[];
    replaced: InformerTarget[];
  } {
    if (this.stopped) throw new Error('the informer set was stopped');
    const wanted = new Map(targets.map((target) => [targetKey(target), target]));
    const removed: InformerTarget[] = [];
    const replaced: InformerTarget[] = [];
    for (const [key, informer] of this.informers) {
      const target = wanted.get(key);
      if (target && sameProjection(target.projection, informer.target.projection)) continue;
      this.informers.delete(key);
      (target ? replaced : removed).push(target ?? informer.target);
      this.track(informer.stop());
    }
    const added: InformerTarget[] = [];
    for (const [key, target] of wanted) {
      if (this.informers.has(key)) continue;
      const informer = this.create(target);
      this.informers.set(key, informer);
      if (!replaced.includes(target)) added.push(target);
      void informer.start();
    }
    return { added, removed, replaced };
  }

  get(target: InformerTarget): ResilientInformer | undefined {
    return this.informers.get(targetKey(target));
  }

  targets(): InformerTarget[] {
    return [...this.informers.values()].map((informer) => informer.target);
  }

  states(): TargetState[] {
    return [...this.informers.values()].map((informer) => ({ target: informer.target, ...informer.state() }));
  }

  /** Whether every one of `targets` (all by default) has an informer that is synced and healthy. */
  ready(targets: readonly InformerTarget[] = this.targets()): boolean {
    return targets.every((target) => {
      const informer = this.get(target);
      return informer !== undefined && informer.synced && informer.healthy;
    });
  }

  /** Stops every informer and waits until they have stopped. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const informer of this.informers.values()) this.track(informer.stop());
    this.informers.clear();
    await Promise.all(this.stopping);
  }

  private create(target: InformerTarget): ResilientInformer {
    const informer = new ResilientInformer(this.kubeConfig, target, this.options);
    const { onEvent, onStateChange } = this.options;
    if (onEvent) {
      for (const event of ['add', 'update', 'delete'] as const) {
        informer.on(event, (object) => onEvent(event, object, target));
      }
    }
    if (onStateChange) informer.onState((state) => onStateChange(target, state));
    return informer;
  }

  private track(stopping: Promise<void>): void {
    this.stopping.add(stopping);
    void stopping.finally(() => this.stopping.delete(stopping));
  }
}
