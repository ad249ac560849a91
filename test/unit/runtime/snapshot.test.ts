// takeSnapshot: every backend listed, leases before containers; a failing one marks the snapshot
// incomplete with one line and never throws.
import type { RuntimeResource } from '../../../src/core/model.js';
import type { RuntimeBackend } from '../../../src/runtime/backend.js';
import { takeSnapshot } from '../../../src/runtime/backend.js';
import { reaped } from '../../../src/runtime/removal.js';
import { container, lease, network, volume } from '../../support/builders.js';

function backend(
  kind: RuntimeResource['kind'],
  list: () => Promise<RuntimeResource[]>,
  order: string[],
  warnings: string[] = [],
): RuntimeBackend {
  return {
    kind,
    list: () => {
      order.push(kind);
      return list();
    },
    remove: () => Promise.resolve(reaped()),
    drainWarnings: () => warnings.splice(0),
  };
}

test('lists leases first (their containers are listed after them), into one complete snapshot', async () => {
  const order: string[] = [];
  const snapshot = await takeSnapshot(
    {
      ipLease: backend('ipLease', () => Promise.resolve([lease('10.0.0.2', 'c1')]), order, ['net/x: symlink']),
      volume: backend('volume', () => Promise.resolve([volume('v1')]), order),
      network: backend('network', () => Promise.resolve([network('n1')]), order),
      container: backend('container', () => Promise.resolve([container('c1')]), order),
    },
    () => 42,
  );
  expect(order).toEqual(['ipLease', 'container', 'network', 'volume']);
  expect(snapshot).toMatchObject({ takenAt: 42, complete: true, errors: [], warnings: ['net/x: symlink'] });
  expect(snapshot.resources.map((r) => r.id)).toEqual(['c1', 'n1', 'v1', 'labnet/10.0.0.2']);
});

test('a backend that cannot list makes the snapshot incomplete, with one line, and the others still list', async () => {
  const order: string[] = [];
  const snapshot = await takeSnapshot(
    {
      container: backend('container', () => Promise.resolve([container('c1')]), order),
      network: backend(
        'network',
        () => Promise.reject(new Error('cannot reach Docker at unix:///x.sock (connect ENOENT /x.sock)')),
        order,
      ),
      ipLease: backend('ipLease', () => Promise.reject(new Error('EACCES: permission denied')), order),
    },
    () => 1,
  );
  expect(snapshot.complete).toBe(false);
  expect(snapshot.errors).toEqual([
    'listing networks: cannot reach Docker at unix:///x.sock (connect ENOENT /x.sock)',
    'listing ipLeases: EACCES: permission denied',
  ]);
  expect(snapshot.resources.map((r) => r.id)).toEqual(['c1']);
});

test('no backends: an empty, complete snapshot', async () => {
  await expect(takeSnapshot({}, () => 7)).resolves.toEqual({
    takenAt: 7,
    resources: [],
    complete: true,
    errors: [],
    warnings: [],
  });
});

test('a container and its lease made while the snapshot is taken: never the lease without its container', async () => {
  // A deployer at work: after each listing call, one more container and then its lease exist.
  const containers: RuntimeResource[] = [];
  const leases: RuntimeResource[] = [];
  let made = 0;
  const deployerStep = () => {
    made++;
    containers.push(container(`c${made}`));
    leases.push(lease(`10.0.0.${made}`, `c${made}`));
  };
  const listing = (kind: RuntimeResource['kind'], source: RuntimeResource[]): RuntimeBackend => ({
    kind,
    list: () => {
      const now = [...source];
      deployerStep();
      return Promise.resolve(now);
    },
    remove: () => Promise.resolve(reaped()),
  });
  deployerStep();
  const snapshot = await takeSnapshot(
    {
      container: listing('container', containers),
      network: listing('network', []),
      volume: listing('volume', []),
      ipLease: listing('ipLease', leases),
    },
    () => 0,
  );
  const listedContainers = new Set(snapshot.resources.filter((r) => r.kind === 'container').map((r) => r.id));
  const listedLeases = snapshot.resources.filter((r) => r.kind === 'ipLease');
  expect(listedLeases.length).toBeGreaterThan(0);
  for (const l of listedLeases) expect(listedContainers.has((l as { containerId: string }).containerId)).toBe(true);
});

describe('a container backend that reads a followed view (lookUp)', () => {
  const leases = () => Promise.resolve([lease('10.0.0.2', 'c1'), lease('10.0.0.3', 'c2'), lease('10.0.0.4', 'c3')]);

  test('the containers leases name that the view lacks are looked up, and those found are in the snapshot', async () => {
    const asked: string[][] = [];
    const snapshot = await takeSnapshot(
      {
        ipLease: backend('ipLease', leases, []),
        container: {
          ...backend('container', () => Promise.resolve([container('c1')]), []),
          lookUp: async (ids) => {
            asked.push([...ids]);
            return [container('c2')];
          },
        },
      },
      () => 1,
    );
    expect(asked).toEqual([['c2', 'c3']]);
    expect(snapshot.complete).toBe(true);
    expect(snapshot.resources.filter((r) => r.kind === 'container').map((r) => r.id)).toEqual(['c1', 'c2']);
  });

  test('no lease naming a missing container: nothing is looked up', async () => {
    let asked = false;
    await takeSnapshot(
      {
        ipLease: backend('ipLease', () => Promise.resolve([lease('10.0.0.2', 'c1')]), []),
        container: {
          ...backend('container', () => Promise.resolve([container('c1')]), []),
          lookUp: async () => {
            asked = true;
            return [];
          },
        },
      },
      () => 1,
    );
    expect(asked).toBe(false);
  });

  test('a look-up that fails makes the snapshot incomplete: a lease must not look dangling for it', async () => {
    const snapshot = await takeSnapshot(
      {
        ipLease: backend('ipLease', leases, []),
        container: {
          ...backend('container', () => Promise.resolve([container('c1')]), []),
          lookUp: () => Promise.reject(new Error('cannot reach Docker')),
        },
      },
      () => 1,
    );
    expect(snapshot.complete).toBe(false);
    expect(snapshot.errors).toEqual(['listing containers: cannot reach Docker']);
  });
});
