// /healthz and /readyz. Live: the process answers (the kubelet restarts it otherwise). Ready: the
// ReapPolicy informer, every owner informer a valid policy needs and, for the summary writer, the
// report and Node informers are synced and following the API server, and for an agent its engine
// answers (checked at most every few seconds, so probes cost no engine calls).
import type { DynamicInformerSet } from '../src/kube/informer-set.js';
import type { ResilientInformer } from '../src/kube/informer.js';
import { describeTarget } from '../src/kube/informer.js';
import type { HealthCheck, HealthResult } from '../src/observe/http-server.js';
import type { RuntimeEngine } from '../src/runtime/engine.js';
import type { PolicyRegistry } from './policy-registry.js';
import { targetOf } from './policy-registry.js';

export interface HealthOptions {
  /** Checked under the name "docker", the engine reaper ships; absent in the summary role, which uses none. */
  readonly engine?: RuntimeEngine;
  readonly policyInformer: ResilientInformer;
  readonly informers: DynamicInformerSet;
  readonly registry: PolicyRegistry;
  /** More caches readiness waits for, by name (the summary writer's reports and Nodes). */
  readonly caches?: readonly { readonly name: string; readonly informer: ResilientInformer }[];
  readonly dockerCheckIntervalMs?: number;
  readonly now?: () => number;
}

export class Health {
  private dockerChecked?: { at: number; check: HealthCheck };
  private dockerInFlight: Promise<HealthCheck> | undefined;

  constructor(private readonly options: HealthOptions) {}

  live(): HealthResult {
    return { ok: true, checks: [{ name: 'process', ok: true }] };
  }

  async ready(): Promise<HealthResult> {
    const checks: HealthCheck[] = [informerCheck('policies', this.options.policyInformer)];
    for (const { name, informer } of this.options.caches ?? []) checks.push(informerCheck(name, informer));
    const needed = new Map<string, ReturnType<typeof targetOf>>();
    for (const policy of this.options.registry.valid()) {
      for (const owner of policy.owners) needed.set(`${owner.apiVersion}|${owner.kind}`, targetOf(owner));
    }
    for (const target of needed.values()) {
      const informer = this.options.informers.get(target);
      checks.push(
        informer
          ? informerCheck(`owners ${describeTarget(target)}`, informer)
          : { name: `owners ${describeTarget(target)}`, ok: false, message: 'no informer' },
      );
    }
    if (this.options.engine) checks.push(await this.engineCheck(this.options.engine));
    return { ok: checks.every((c) => c.ok), checks };
  }

  private engineCheck(engine: RuntimeEngine): Promise<HealthCheck> {
    const now = (this.options.now ?? Date.now)();
    const interval = this.options.dockerCheckIntervalMs ?? 5_000;
    if (this.dockerChecked && now - this.dockerChecked.at < interval) return Promise.resolve(this.dockerChecked.check);
    this.dockerInFlight ??= engine
      .ping()
      .then((): HealthCheck => ({ name: 'docker', ok: true }))
      .catch((err: Error): HealthCheck => ({ name: 'docker', ok: false, message: err.message }))
      .then((check) => {
        this.dockerChecked = { at: (this.options.now ?? Date.now)(), check };
        this.dockerInFlight = undefined;
        return check;
      });
    return this.dockerInFlight;
  }
}

function informerCheck(name: string, informer: ResilientInformer): HealthCheck {
  const state = informer.state();
  if (state.synced && state.healthy) return { name, ok: true };
  const message = !state.synced ? 'not synced yet' : 'watch failing';
  return { name, ok: false, message: state.lastError ? `${message}: ${state.lastError}` : message };
}
