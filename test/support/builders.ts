// Builders for the planner's inputs, with the design's defaults but for the owners' key (below),
// and the API's defaulted policy spec.
import { RE2JS } from 're2js';
import type {
  ContainerResource,
  IpLeaseResource,
  LiveOwners,
  NetworkResource,
  RuntimeResource,
  RuntimeSnapshot,
  VolumeResource,
} from '../../src/core/model.js';
import type { DefaultedReapPolicySpec } from '../../src/api/types.js';
import type { MatchRule, Policy, Rival } from '../../src/core/policy.js';

export const MINUTE = 60_000;
export const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

type PolicyOverrides = Partial<Omit<Policy, 'timing' | 'limits'>> & {
  timing?: Partial<Policy['timing']>;
  limits?: Partial<Policy['limits']>;
};

export function policy(overrides: PolicyOverrides = {}): Policy {
  const { timing, limits, ...rest } = overrides;
  return {
    name: 'default',
    generation: 1,
    mode: 'Reap',
    // Keyed by a field, not the design's uid: any well-formed key is one an owner could have, so the
    // short keys the tests use ('A', 'u1') attribute. owner-key-shape.test.ts covers uid and name keys.
    owners: [
      {
        apiVersion: 'reaper.dev/v1alpha1',
        kind: 'Topology',
        namespaces: [],
        key: { type: 'field', path: ['spec', 'labId'] },
      },
    ],
    match: [{ type: 'label', label: 'reaper.dev/owner-uid' }],
    resources: {
      containers: { enabled: true, running: 'Stop', stopTimeoutSeconds: 10 },
      networks: { enabled: true },
      volumes: { enabled: true },
      ipLeases: { enabled: true, cniDir: '/var/lib/cni/networks', networks: ['labnet'] },
    },
    timing: { minAgeMs: 5 * MINUTE, gracePeriodMs: MINUTE, intervalMs: 5 * MINUTE, ...timing },
    limits: {
      maxDeletionsPerSweep: 500,
      maxOrphanPercent: 50,
      minOwnersToBlock: 10,
      massDeletionWindowMs: 10_000,
      concurrency: 8,
      ...limits,
    },
    teardown: 'Sweep',
    ...rest,
  };
}

export function nameRule(source: string, keyPrefixLength?: number): MatchRule {
  return {
    type: 'name',
    regex: RE2JS.compile(source),
    source,
    ...(keyPrefixLength !== undefined ? { keyPrefixLength } : {}),
  };
}

/** The owner key, and the kind label that places it in the fixture policy's scope. */
export const ownedBy = (owner?: string): Record<string, string> =>
  owner === undefined ? {} : { 'reaper.dev/owner-uid': owner, 'reaper.dev/owner-kind': 'Topology.reaper.dev' };

export function container(id: string, owner?: string, extra: Partial<ContainerResource> = {}): ContainerResource {
  return {
    kind: 'container',
    id,
    name: `c-${id}`,
    labels: ownedBy(owner),
    createdAt: NOW - 60 * MINUTE,
    state: 'exited',
    networks: [],
    ...extra,
  };
}

export function network(id: string, owner?: string, extra: Partial<NetworkResource> = {}): NetworkResource {
  return {
    kind: 'network',
    id,
    name: `n-${id}`,
    labels: ownedBy(owner),
    createdAt: NOW - 60 * MINUTE,
    driver: 'bridge',
    containerIds: [],
    ...extra,
  };
}

export function volume(id: string, owner?: string, extra: Partial<VolumeResource> = {}): VolumeResource {
  return {
    kind: 'volume',
    id,
    name: id,
    labels: ownedBy(owner),
    createdAt: NOW - 60 * MINUTE,
    driver: 'local',
    ...extra,
  };
}

export function lease(
  ip: string,
  containerId: string,
  net = 'labnet',
  extra: Partial<IpLeaseResource> = {},
): IpLeaseResource {
  return {
    kind: 'ipLease',
    id: `${net}/${ip}`,
    name: ip,
    labels: {},
    createdAt: NOW - 60 * MINUTE,
    network: net,
    ip,
    containerId,
    ...extra,
  };
}

export function snapshot(resources: RuntimeResource[], extra: Partial<RuntimeSnapshot> = {}): RuntimeSnapshot {
  return { takenAt: NOW, resources, complete: true, errors: [], ...extra };
}

export function owners(keys: string[], extra: Partial<LiveOwners> = {}): LiveOwners {
  return { keys: new Set(keys), synced: true, errors: [], ...extra };
}

/** Another policy with these match rules, whose owners are one reaper.dev kind keyed by .spec.id. */
export function rivalOf(kind: string, namespaces: string[], match: readonly MatchRule[]): Rival {
  return {
    name: 'rival',
    owners: [{ apiVersion: 'reaper.dev/v1alpha1', kind, namespaces, key: { type: 'field', path: ['spec', 'id'] } }],
    match,
  };
}

/** The spec the API server stores for an empty ReapPolicy: every default. */
export const DEFAULTED_SPEC: DefaultedReapPolicySpec = {
  mode: 'Reap',
  owners: [
    { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', namespaces: [], key: 'uid' },
    { apiVersion: 'reaper.dev/v1alpha1', kind: 'Sandbox', namespaces: [], key: 'uid' },
  ],
  match: [{ label: 'reaper.dev/owner-uid' }],
  resources: {
    containers: { enabled: true, running: 'Stop', stopTimeoutSeconds: 10 },
    networks: { enabled: true },
    volumes: { enabled: true },
    ipLeases: { enabled: false, cniDir: '/var/lib/cni/networks', networks: [] },
  },
  timing: { minAge: '5m', gracePeriod: '1m', interval: '5m' },
  limits: {
    maxDeletionsPerSweep: 500,
    maxOrphanPercent: 50,
    minOwnersToBlock: 10,
    massDeletionWindow: '10s',
    concurrency: 8,
  },
  teardown: 'Sweep',
};
