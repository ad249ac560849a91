// The executor's own rules with in-memory backends (the RuntimeBackend interface, not Docker):
// the order items wait in, bounded concurrency, failures that do not stop the sweep, leases kept with a container
// that stays, dry run, abort. The same paths on the real engines: test/integration/runtime.
import { NO_GRACE } from '../../../src/core/grace.js';
import type { RuntimeResource } from '../../../src/core/model.js';
import { resourceKey } from '../../../src/core/model.js';
import type { Plan } from '../../../src/core/planner.js';
import { planReap } from '../../../src/core/planner.js';
import type { Policy } from '../../../src/core/policy.js';
import type { Backends, RuntimeBackend } from '../../../src/runtime/backend.js';
import type { ExecuteInput } from '../../../src/runtime/executor.js';
import { executePlan } from '../../../src/runtime/executor.js';
import type { RemovalResult } from '../../../src/runtime/removal.js';
import { failed, reaped } from '../../../src/runtime/removal.js';
import { NOW, container, lease, network, owners, policy, snapshot, volume } from '../../support/builders.js';

type Behaviour = (resource: RuntimeResource) => Promise<RemovalResult> | RemovalResult;

/** Records every call across backends in one log, and the most removals in flight at once. */
class Recorder {
  readonly log: string[] = [];
  inFlight = 0;
  maxInFlight = 0;

  backend(kind: RuntimeResource['kind'], behaviour: Behaviour = () => reaped()): RuntimeBackend {
    return {
      kind,
      list: () => Promise.resolve([]),
      remove: async (resource) => {
        const key = resourceKey(resource);
        this.log.push(`start ${key}`);
        this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
        try {
          await new Promise((r) => setTimeout(r, 5));
          return await behaviour(resource);
        } finally {
          this.inFlight--;
          this.log.push(`end ${key}`);
        }
      },
    };
  }

  backends(behaviours: Partial<Record<RuntimeResource['kind'], Behaviour>> = {}): Backends {
    return {
      container: this.backend('container', behaviours.container),
      network: this.backend('network', behaviours.network),
      volume: this.backend('volume', behaviours.volume),
      ipLease: this.backend('ipLease', behaviours.ipLease),
    };
  }
}

function setUp(resources: RuntimeResource[], overrides: Parameters<typeof policy>[0] = {}) {
  const p: Policy = policy({ limits: { maxOrphanPercent: 100 }, timing: { gracePeriodMs: 0 }, ...overrides });
  const snap = snapshot(resources);
  const plan: Plan = planReap(snap, owners([]), p, NO_GRACE, NOW);
  return { policy: p, snapshot: snap, plan };
}

function input(setup: ReturnType<typeof setUp>, backends: Backends, extra: Partial<ExecuteInput> = {}): ExecuteInput {
  return {
    ...setup,
    backends,
    recheckOwners: () => Promise.resolve(owners([])),
    now: () => NOW,
    ...extra,
  };
}

const statusOf = (outcomes: { key: string; status: string }[]) =>
  Object.fromEntries(outcomes.map((o) => [o.key, o.status]));

test('each item waits for what it depends on, and no more', async () => {
  const setup = setUp([
    volume('v1', 'X'),
    network('n1', 'X'),
    lease('10.0.0.2', 'c1'),
    container('c1', 'X'),
    container('c2', 'X'),
    lease('10.0.0.3', 'gone-container'),
  ]);
  const recorder = new Recorder();
  const { outcomes, errors } = await executePlan(
    input(
      setup,
      recorder.backends({
        // c2 takes longer: c1's lease need not wait for it, the network and the volume must.
        container: async (r) => {
          if (r.id === 'c2') await new Promise((resolve) => setTimeout(resolve, 30));
          return reaped();
        },
      }),
    ),
  );
  expect(errors).toEqual([]);
  expect(outcomes.map((o) => o.status)).toEqual(Array(6).fill('reaped'));
  const at = (entry: string) => recorder.log.indexOf(entry);
  // A lease whose container is gone already (dangling) goes at once.
  expect(at('start ipLease:labnet/10.0.0.3')).toBeLessThan(at('end container:c1'));
  expect(at('start ipLease:labnet/10.0.0.2')).toBeGreaterThan(at('end container:c1'));
  expect(at('start ipLease:labnet/10.0.0.2')).toBeLessThan(at('end container:c2'));
  for (const later of ['start network:n1', 'start volume:v1']) {
    expect(at(later)).toBeGreaterThan(at('end container:c1'));
    expect(at(later)).toBeGreaterThan(at('end container:c2'));
  }
});

test('networks and volumes do not wait for leases', async () => {
  const setup = setUp([network('n1', 'X'), volume('v1', 'X'), lease('10.0.0.2', 'c1'), container('c1', 'X')]);
  const recorder = new Recorder();
  const { outcomes } = await executePlan(
    input(
      setup,
      recorder.backends({
        ipLease: async () => {
          await new Promise((resolve) => setTimeout(resolve, 30));
          return reaped();
        },
      }),
    ),
  );
  expect(outcomes.map((o) => o.status)).toEqual(Array(4).fill('reaped'));
  const at = (entry: string) => recorder.log.indexOf(entry);
  expect(at('start network:n1')).toBeLessThan(at('end ipLease:labnet/10.0.0.2'));
  expect(at('start volume:v1')).toBeLessThan(at('end ipLease:labnet/10.0.0.2'));
});

test.each([1, 3, 8])('at most %i removals at once', async (concurrency) => {
  const setup = setUp(
    Array.from({ length: 12 }, (_, i) => container(`c${i}`, 'X')),
    { limits: { maxOrphanPercent: 100, concurrency } },
  );
  const recorder = new Recorder();
  const { outcomes } = await executePlan(input(setup, recorder.backends()));
  expect(outcomes).toHaveLength(12);
  expect(recorder.maxInFlight).toBe(concurrency);
});

test('a failure, thrown or returned, is recorded and the sweep goes on', async () => {
  const setup = setUp([container('c1', 'X'), container('c2', 'X'), network('n1', 'X'), volume('v1', 'X')]);
  const recorder = new Recorder();
  const { outcomes } = await executePlan(
    input(
      setup,
      recorder.backends({
        container: (r) => {
          if (r.id === 'c1') throw new Error('socket hang up');
          return reaped();
        },
        network: () => failed('error while removing network'),
      }),
    ),
  );
  expect(outcomes.find((o) => o.key === 'container:c1')).toEqual({
    key: 'container:c1',
    status: 'failed',
    reason: 'socket hang up',
  });
  expect(statusOf(outcomes)).toEqual({
    'container:c1': 'failed',
    'container:c2': 'reaped',
    'network:n1': 'failed',
    'volume:v1': 'reaped',
  });
});

describe('a lease goes only once its container is gone', () => {
  const resources = [
    container('c-skip', 'X', { state: 'running' }),
    container('c-fail', 'X'),
    container('c-gone', 'X'),
    container('c-ok', 'X'),
    lease('10.0.0.2', 'c-skip'),
    lease('10.0.0.3', 'c-fail'),
    lease('10.0.0.4', 'c-gone'),
    lease('10.0.0.5', 'c-ok'),
    lease('10.0.0.6', 'not-in-the-snapshot'),
  ];

  test('kept when its container was skipped or failed; removed after reaped, already gone, or dangling', async () => {
    const setup = setUp(resources);
    const recorder = new Recorder();
    const byId: Record<string, RemovalResult> = {
      'c-skip': { status: 'skipped', reason: 'running, and the policy says Skip running containers' },
      'c-fail': failed('driver failed to remove root filesystem'),
      'c-gone': { status: 'alreadyGone', reason: 'already removed' },
    };
    const { outcomes } = await executePlan(
      input(setup, recorder.backends({ container: (r) => byId[r.id] ?? reaped() })),
    );
    expect(statusOf(outcomes)).toMatchObject({
      'ipLease:labnet/10.0.0.2': 'skipped',
      'ipLease:labnet/10.0.0.3': 'skipped',
      'ipLease:labnet/10.0.0.4': 'reaped',
      'ipLease:labnet/10.0.0.5': 'reaped',
      'ipLease:labnet/10.0.0.6': 'reaped',
    });
    expect(outcomes.find((o) => o.key === 'ipLease:labnet/10.0.0.2')!.reason).toBe(
      'kept with its container c-c-skip, which was not removed (skipped: running, and the policy says Skip running containers)',
    );
    expect(recorder.log).not.toContain('start ipLease:labnet/10.0.0.2');
    expect(recorder.log).not.toContain('start ipLease:labnet/10.0.0.3');
  });

  test('kept when its container is in the snapshot but not part of this run', async () => {
    const setup = setUp(resources);
    // A plan narrowed after planning (reaper apply of a reviewed plan): the lease without its container.
    const narrowed: Plan = {
      ...setup.plan,
      selected: setup.plan.selected.filter((i) => i.resource.id === 'labnet/10.0.0.5'),
    };
    const recorder = new Recorder();
    const { outcomes } = await executePlan(input({ ...setup, plan: narrowed }, recorder.backends()));
    expect(outcomes).toEqual([
      {
        key: 'ipLease:labnet/10.0.0.5',
        status: 'skipped',
        reason: 'kept with its container c-c-ok, which this sweep does not remove',
      },
    ]);
    expect(recorder.log).toEqual([]);
  });
});

test('DryRun: every selected item would be reaped, and nothing is called, not even the re-check', async () => {
  const setup = setUp([container('c1', 'X'), network('n1', 'X')], { mode: 'DryRun' });
  const recorder = new Recorder();
  let rechecked = false;
  const { outcomes } = await executePlan(
    input(setup, recorder.backends(), {
      recheckOwners: () => {
        rechecked = true;
        return Promise.resolve(owners([]));
      },
    }),
  );
  expect(outcomes.map((o) => o.status)).toEqual(['wouldReap', 'wouldReap']);
  expect(recorder.log).toEqual([]);
  expect(rechecked).toBe(false);
});

test('a re-check that throws removes nothing and reports why', async () => {
  const setup = setUp([container('c1', 'X'), volume('v1', 'X')]);
  const recorder = new Recorder();
  const { outcomes, errors } = await executePlan(
    input(setup, recorder.backends(), { recheckOwners: () => Promise.reject(new Error('403 Forbidden')) }),
  );
  expect(outcomes.map((o) => o.status)).toEqual(['skipped', 'skipped']);
  expect(errors).toEqual(['re-check of owners failed: 403 Forbidden']);
  expect(recorder.log).toEqual([]);
});

test('nothing selected: no re-check, no call', async () => {
  const setup = setUp([container('c1', 'X')]);
  let rechecked = false;
  const result = await executePlan(
    input(setup, new Recorder().backends(), {
      plan: { ...setup.plan, selected: [] },
      recheckOwners: () => {
        rechecked = true;
        return Promise.resolve(owners([]));
      },
    }),
  );
  expect(result).toEqual({ outcomes: [], errors: [] });
  expect(rechecked).toBe(false);
});

test('a kind without a backend is skipped; an abort starts nothing new', async () => {
  const setup = setUp([container('c1', 'X'), container('c2', 'X'), volume('v1', 'X')], {
    limits: { maxOrphanPercent: 100, concurrency: 1 },
  });
  const recorder = new Recorder();
  const abort = new AbortController();
  const { volume: _dropped, ...backends } = recorder.backends({
    container: () => {
      abort.abort();
      return reaped();
    },
  });
  const { outcomes } = await executePlan(input(setup, backends, { signal: abort.signal }));
  expect(outcomes).toEqual([
    { key: 'container:c1', status: 'reaped', reason: 'removed' },
    { key: 'container:c2', status: 'skipped', reason: 'shutting down: not started' },
    { key: 'volume:v1', status: 'skipped', reason: 'shutting down: not started' },
  ]);

  const without = await executePlan(input(setUp([volume('v1', 'X')]), backends));
  expect(without.outcomes).toEqual([{ key: 'volume:v1', status: 'skipped', reason: 'no backend for volumes' }]);
});
