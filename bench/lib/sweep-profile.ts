// Where a sweep's time goes before its first removal, measured in this process on the same engine,
// cluster and policy as the controller under test: each backend's listing, the owner listing from
// the API server (what the controller's fresh re-check costs; its own owners come from informer
// caches), and planning.
import type * as k8s from '@kubernetes/client-node';
import { NO_GRACE } from '../../src/core/grace.js';
import { planReap } from '../../src/core/planner.js';
import type { Policy } from '../../src/core/policy.js';
import { KubeListOwnerSource } from '../../src/owners/kube-list-source.js';
import type { Backends, RuntimeBackend } from '../../src/runtime/backend.js';
import { takeSnapshot } from '../../src/runtime/backend.js';
import { backendsForPolicy } from '../../src/runtime/backends-for-policy.js';
import { createDockerClient } from '../../src/runtime/docker-client.js';
import { median } from './stats.js';

/** Median milliseconds per step over `runs` runs, in the order a sweep takes them. */
export async function profileSweep(policy: Policy, kc: k8s.KubeConfig, runs = 5): Promise<[string, number][]> {
  const docker = createDockerClient();
  const owners = new KubeListOwnerSource(kc);
  const samples = new Map<string, number[]>();
  const record = (step: string, ms: number) => samples.set(step, [...(samples.get(step) ?? []), ms]);
  for (let i = 0; i < runs; i++) {
    const backends = timedLists(backendsForPolicy(policy, docker), record);
    let t = performance.now();
    const snapshot = await takeSnapshot(backends, Date.now);
    record('snapshot', performance.now() - t);
    t = performance.now();
    const listing = await owners.list(policy);
    record('owners from the API server', performance.now() - t);
    t = performance.now();
    planReap(snapshot, listing.live, policy, NO_GRACE, Date.now());
    record('plan', performance.now() - t);
  }
  return [...samples].map(([step, ms]) => [step, median(ms)]);
}

function timedLists(backends: Backends, record: (step: string, ms: number) => void): Backends {
  const timed: Backends = {};
  for (const [kind, backend] of Object.entries(backends) as [keyof Backends, RuntimeBackend][]) {
    timed[kind] = {
      kind: backend.kind,
      list: async () => {
        const t = performance.now();
        try {
          return await backend.list();
        } finally {
          record(`snapshot: ${kind}s`, performance.now() - t);
        }
      },
      remove: (resource) => backend.remove(resource),
      ...(backend.drainWarnings ? { drainWarnings: () => backend.drainWarnings!() } : {}),
    };
  }
  return timed;
}
