// Synthetic planner inputs: N runtime resources against N/2 live owners, shaped like a busy host of
// labs. Seeded, so every run and machine plans the same data.
//
// Of the owner-labelled containers, networks and volumes, 90% belong to a live owner and 10% to a
// deleted one; on top, 4% carry no ownership label (foreign) and 1% are labelled keep. Every
// second container has an IP lease (inherited ownership), and 5% of the leases are dangling (their
// container is gone) in a network the policy manages. Creation times spread over the last two
// hours; half the orphans were first seen 10 minutes ago (grace over), half are seen now.
import { parsePolicy } from '../../src/api/parse-policy.js';
import type {
  ContainerResource,
  GraceState,
  LiveOwners,
  RuntimeResource,
  RuntimeSnapshot,
} from '../../src/core/model.js';
import { GraceStateBuilder } from '../../src/core/grace.js';
import type { Policy } from '../../src/core/policy.js';
import { container, lease, network, owners, snapshot, volume } from '../../test/support/builders.js';
import { seededRandom } from './stats.js';

export const PLAN_NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const LEASE_NETWORKS = Array.from({ length: 16 }, (_, i) => `labnet-${i}`);
/** At most this many removals per sweep: below the candidates at every size, so the limit always runs. */
export const PLANNER_MAX_DELETIONS = 200;

export interface PlannerInput {
  readonly snapshot: RuntimeSnapshot;
  readonly live: LiveOwners;
  readonly policy: Policy;
  readonly grace: GraceState;
  readonly now: number;
}

export function plannerPolicy(): Policy {
  const parsed = parsePolicy({
    apiVersion: 'reaper.dev/v1alpha1',
    kind: 'ReapPolicy',
    metadata: { name: 'bench' },
    spec: {
      owners: [
        { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology' },
        { apiVersion: 'reaper.dev/v1alpha1', kind: 'Sandbox' },
      ],
      resources: { ipLeases: { enabled: true, networks: LEASE_NETWORKS } },
      limits: { maxDeletionsPerSweep: PLANNER_MAX_DELETIONS },
    },
  });
  if (!parsed.ok) throw new Error(`bench policy invalid: ${JSON.stringify(parsed.problems)}`);
  return parsed.policy;
}

export function plannerInput(size: number, seed = 7): PlannerInput {
  const random = seededRandom(seed * 1_000_003 + size);
  const hex = (length: number) => {
    let s = '';
    while (s.length < length)
      s += Math.floor(random() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    return s.slice(0, length);
  };
  const uid = () => {
    const h = hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;

  const liveKeys = Array.from({ length: Math.floor(size / 2) }, uid);
  // Deleted owners: one for every ten live ones' worth of resources.
  const deadKeys = Array.from({ length: Math.max(1, Math.floor(size / 20)) }, uid);

  const labelsFor = (): Record<string, string> => {
    const r = random();
    if (r < 0.04) return { app: 'something-else' }; // foreign
    const dead = random() < 0.1;
    const key = dead ? pick(deadKeys) : pick(liveKeys);
    const labels: Record<string, string> = {
      'reaper.dev/owner-uid': key,
      // Group-qualified, as the ownership contract has it: a bare `Topology` is out of scope.
      'reaper.dev/owner-kind': random() < 0.7 ? 'Topology.reaper.dev' : 'Sandbox.reaper.dev',
      'reaper.dev/owner-namespace': `team-${Math.floor(random() * 50)}`,
      'reaper.dev/owner-name': `lab-${key.slice(0, 8)}`,
    };
    if (r < 0.05) labels['reaper.dev/keep'] = 'true';
    return labels;
  };
  const createdAt = () => PLAN_NOW - Math.floor(random() * 2 * 3_600_000);

  const nContainers = Math.floor(size * 0.5);
  const nLeases = Math.floor(size * 0.2);
  const nNetworks = Math.floor(size * 0.2);
  const nVolumes = size - nContainers - nLeases - nNetworks;

  const resources: RuntimeResource[] = [];
  const containers: ContainerResource[] = [];
  for (let i = 0; i < nContainers; i++) {
    const labels = labelsFor();
    const c = container(hex(64), undefined, {
      name: `${labels['reaper.dev/owner-namespace'] ?? 'x'}.${labels['reaper.dev/owner-name'] ?? 'x'}.node-${i}`,
      labels,
      createdAt: createdAt(),
      state: random() < 0.8 ? 'running' : 'exited',
      networks: [pick(LEASE_NETWORKS)],
    });
    containers.push(c);
    resources.push(c);
  }
  for (let i = 0; i < nLeases; i++) {
    const dangling = random() < 0.05;
    const owner = dangling ? undefined : containers[(i * 2) % containers.length];
    const leaseNetwork = owner?.networks[0] ?? pick(LEASE_NETWORKS);
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const at = createdAt();
    resources.push(lease(ip, owner?.id ?? hex(64), leaseNetwork, { createdAt: at, ifname: 'eth0' }));
  }
  for (let i = 0; i < nNetworks; i++) {
    const n = network(hex(64), undefined, {
      name: `net-${i}`,
      labels: labelsFor(),
      createdAt: createdAt(),
      containerIds: random() < 0.5 ? [pick(containers).id] : [],
    });
    resources.push(n);
  }
  for (let i = 0; i < nVolumes; i++) {
    const v = volume(`vol-${hex(16)}`, undefined, { name: `vol-${i}`, labels: labelsFor(), createdAt: createdAt() });
    resources.push(v);
  }
  // Listing order is the engine's, not the planner's: shuffle (Fisher–Yates).
  for (let i = resources.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [resources[i], resources[j]] = [resources[j]!, resources[i]!];
  }

  const dead = new Set(deadKeys);
  // Keyed by the resources' own id strings, as an agent's state is after its first sweep.
  const grace = new GraceStateBuilder();
  for (const r of resources) {
    const key = r.labels['reaper.dev/owner-uid'];
    if (key !== undefined && dead.has(key) && random() < 0.5) grace.set(r, PLAN_NOW - 10 * 60_000);
  }
  return {
    snapshot: snapshot(resources, { takenAt: PLAN_NOW }),
    live: owners(liveKeys),
    policy: plannerPolicy(),
    grace: grace.state,
    now: PLAN_NOW,
  };
}
