import type Docker from 'dockerode';
import { RuntimeView } from '../../../controllers/runtime-view.js';
import type { RuntimeSnapshot } from '../../../src/core/model.js';
import { NOW, container, policy, snapshot } from '../../support/builders.js';
import { DockerEngine } from '../../../src/runtime/docker-engine.js';

// Leases off: their store is a host path; containers, networks and volumes come from the engine below.
const base = policy({
  resources: { ...policy().resources, ipLeases: { ...policy().resources.ipLeases, enabled: false } },
});
const other = policy({ ...base, name: 'other' });

/**
 * An engine with nothing on it that counts its listings (one volume listing per snapshot) and can
 * hold them until released, to see what happens while one is in flight.
 */
function emptyEngine() {
  const engine = { listings: 0, hold: undefined as Promise<void> | undefined };
  const docker = {
    listContainers: async () => [],
    listNetworks: async () => [],
    listVolumes: async () => {
      engine.listings++;
      await engine.hold;
      return { Volumes: [] };
    },
  } as unknown as Docker;
  return { engine, docker };
}

function setup(maxAgeMs = 30_000) {
  const clock = { now: NOW };
  const { engine, docker } = emptyEngine();
  const view = new RuntimeView(new DockerEngine(docker), () => clock.now, maxAgeMs);
  return { clock, engine, view };
}

const swept = (takenAt: number): RuntimeSnapshot => snapshot([container('c1', 'A')], { takenAt });

describe('RuntimeView', () => {
  test("a sweep's recent snapshot is served without listing the engine", async () => {
    const { clock, engine, view } = setup();
    const taken = swept(NOW);
    view.remember(base, taken);
    clock.now = NOW + 30_000;
    expect(await view.snapshotFor(base)).toBe(taken);
    expect(engine.listings).toBe(0);
  });

  test.each<[string, (view: RuntimeView, clock: { now: number }) => Parameters<RuntimeView['snapshotFor']>[0]]>([
    [
      'older than the maximum age',
      (_view, clock) => {
        clock.now = NOW + 30_001;
        return base;
      },
    ],
    ['taken for another generation of the policy (its backends may differ)', () => policy({ ...base, generation: 2 })],
    [
      'forgotten (the policy was deleted)',
      (view) => {
        view.forget(base.name);
        return base;
      },
    ],
    ['of another policy', () => other],
  ])('a snapshot %s is not served: the engine is listed once, and that one is kept', async (_name, change) => {
    const { clock, engine, view } = setup();
    view.remember(base, swept(NOW));
    const asked = change(view, clock);
    const fresh = await view.snapshotFor(asked);
    expect(engine.listings).toBe(1);
    expect(fresh).toEqual({ takenAt: clock.now, resources: [], complete: true, errors: [], warnings: [] });
    expect(await view.snapshotFor(asked)).toBe(fresh);
    expect(engine.listings).toBe(1);
  });

  test('many owners asking at once share one listing', async () => {
    const { engine, view } = setup();
    let release!: () => void;
    engine.hold = new Promise((resolve) => (release = resolve));
    const asks = Array.from({ length: 500 }, () => view.snapshotFor(base));
    release();
    const snapshots = await Promise.all(asks);
    expect(engine.listings).toBe(1);
    expect(new Set(snapshots).size).toBe(1);
  });

  test('a listing that ends after a sweep remembered a newer snapshot does not replace it', async () => {
    const { clock, engine, view } = setup();
    let release!: () => void;
    engine.hold = new Promise((resolve) => (release = resolve));
    const asked = view.snapshotFor(base);
    clock.now = NOW + 5_000;
    const newer = swept(clock.now);
    view.remember(base, newer);
    release();
    expect((await asked).takenAt).toBe(NOW);
    expect(await view.snapshotFor(base)).toBe(newer);
    expect(engine.listings).toBe(1);
  });

  test('snapshotSince serves only a snapshot taken at or after the time asked, sharing a listing started by then', async () => {
    const { clock, engine, view } = setup();
    const taken = swept(NOW);
    view.remember(base, taken);
    expect(await view.snapshotSince(base, NOW)).toBe(taken);
    expect(engine.listings).toBe(0);
    // A deletion seen after that snapshot: a new listing, shared by whoever asks meanwhile.
    clock.now = NOW + 1_000;
    let release!: () => void;
    engine.hold = new Promise((resolve) => (release = resolve));
    const first = view.snapshotSince(base, NOW + 500);
    const second = view.snapshotSince(base, NOW + 1_000);
    // Asked for later than the listing in flight started: that one cannot serve.
    clock.now = NOW + 2_000;
    const third = view.snapshotSince(base, NOW + 1_500);
    release();
    const [a, b, c] = await Promise.all([first, second, third]);
    expect(a).toBe(b);
    expect(a.takenAt).toBe(NOW + 1_000);
    expect(c.takenAt).toBe(NOW + 2_000);
    expect(engine.listings).toBe(2);
    expect(await view.snapshotFor(base)).toBe(c);
  });

  test('an engine that cannot be listed gives an incomplete snapshot that says why', async () => {
    const clock = { now: NOW };
    const broken = {
      listContainers: async () => {
        throw new Error('connect ENOENT /var/run/docker.sock');
      },
      listNetworks: async () => [],
      listVolumes: async () => ({ Volumes: [] }),
    } as unknown as Docker;
    const result = await new RuntimeView(new DockerEngine(broken), () => clock.now).snapshotFor(base);
    expect(result.complete).toBe(false);
    expect(result.errors.join('\n')).toMatch(/^listing containers: .*ENOENT/);
  });
});
