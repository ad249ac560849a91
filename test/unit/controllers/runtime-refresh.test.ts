import { jest } from '@jest/globals';
import { RuntimeRefresh } from '../../../controllers/runtime-refresh.js';
import type { Policy } from '../../../src/core/policy.js';
import type { InformerTarget } from '../../../src/kube/informer.js';
import { silentLogger } from '../../../src/observe/logger.js';
import { policy } from '../../support/builders.js';

const TOPOLOGY = { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology' };
const LAB = { apiVersion: 'example.com/v1', kind: 'Lab' };
const isStatusKind = (target: InformerTarget) => target.kind === 'Topology' || target.kind === 'Sandbox';
const key = { type: 'uid' } as const;
const topologies = policy({ name: 'topologies', owners: [{ ...TOPOLOGY, namespaces: [], key }] });
const labs = policy({ name: 'labs', owners: [{ ...LAB, namespaces: [], key }] });

test('the timer refreshes the view of every policy with a status kind, until stopped', async () => {
  jest.useFakeTimers();
  try {
    const refreshed: string[] = [];
    const refresh = new RuntimeRefresh({
      isStatusKind,
      validPolicies: () => [topologies, labs],
      refresh: async (p: Policy) => refreshed.push(p.name),
      intervalMs: 1_000,
      logger: silentLogger,
    });
    refresh.start();
    await jest.advanceTimersByTimeAsync(2_000);
    expect(refreshed).toEqual(['topologies', 'topologies']);
    refresh.stop();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(refreshed).toHaveLength(2);
  } finally {
    jest.useRealTimers();
  }
});

test('a failed listing is logged and the others go on', async () => {
  jest.useFakeTimers();
  try {
    const refreshed: string[] = [];
    const refresh = new RuntimeRefresh({
      isStatusKind: () => true,
      validPolicies: () => [labs, topologies],
      refresh: async (p: Policy) => {
        if (p.name === 'labs') throw new Error('engine hung');
        refreshed.push(p.name);
      },
      intervalMs: 1_000,
      logger: silentLogger,
    });
    refresh.start();
    await jest.advanceTimersByTimeAsync(1_000);
    refresh.stop();
    expect(refreshed).toEqual(['topologies']);
  } finally {
    jest.useRealTimers();
  }
});
