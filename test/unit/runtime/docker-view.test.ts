// The followed view's bookkeeping against an in-memory engine that implements the view's adapter
// interface (docker-view-api.ts): the order of events and inspects, breaks and relists. Docker's
// own behaviour is the integration test's (test/integration/runtime/docker-view.test.ts).
import type { VolumeResource } from '../../../src/core/model.js';
import { silentLogger } from '../../../src/observe/logger.js';
import type { ContainerRecord, DockerEvent, NetworkRecord } from '../../../src/runtime/docker-objects.js';
import { DockerView } from '../../../src/runtime/docker-view.js';
import type { DockerViewApi, EventSubscription } from '../../../src/runtime/docker-view-api.js';
import { eventually } from '../../support/eventually.js';

const id = (n: number) => n.toString(16).padStart(64, '0');

function record(containerId: string, state = 'running', name = containerId.slice(-4)): ContainerRecord {
  return {
    resource: { kind: 'container', id: containerId, name, labels: {}, createdAt: 0, state, networks: [] },
    attachments: [],
  };
}

/** An engine in memory: what it holds, a stream to push events into, inspects that can be held. */
class MemoryEngine implements DockerViewApi {
  readonly containers = new Map<string, ContainerRecord>();
  readonly calls = { list: 0, inspect: 0, subscribe: 0 };
  subscriptions: { onEvent: (e: DockerEvent) => void; onEnd: (reason: string) => void; open: boolean }[] = [];
  down = false;
  /** While set, inspects wait for it. */
  hold: Promise<void> | undefined;
  /** While set, listings wait for it. */
  holdListing: Promise<void> | undefined;

  async listContainers() {
    this.calls.list++;
    // Read before waiting, as inspects are.
    const listed = [...this.containers.values()];
    await this.holdListing;
    if (this.down) throw new Error('cannot reach Docker');
    return listed;
  }
  async listNetworks(): Promise<NetworkRecord[]> {
    return [];
  }
  async listVolumes(): Promise<VolumeResource[]> {
    return [];
  }
  async inspectContainer(containerId: string) {
    this.calls.inspect++;
    const hold = this.hold;
    // Read before waiting: what a slow inspect answers is what was there when it was asked.
    const found = this.containers.get(containerId);
    await hold;
    if (this.down) throw new Error('cannot reach Docker');
    return found;
  }
  async inspectNetwork() {
    return undefined;
  }
  async inspectVolume() {
    return undefined;
  }
  async subscribe(
    _since: number,
    onEvent: (e: DockerEvent) => void,
    onEnd: (reason: string) => void,
  ): Promise<EventSubscription> {
    this.calls.subscribe++;
    if (this.down) throw new Error('cannot reach Docker');
    const subscription = { onEvent, onEnd, open: true };
    this.subscriptions.push(subscription);
    return { close: () => void (subscription.open = false) };
  }

  emit(action: string, containerId: string): void {
    for (const s of this.subscriptions)
      if (s.open) s.onEvent({ type: 'container', action, id: containerId, attributes: {} });
  }
  breakStreams(reason: string): void {
    for (const s of this.subscriptions)
      if (s.open) {
        s.open = false;
        s.onEnd(reason);
      }
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function setup(relistIntervalMs = 600_000) {
  const engine = new MemoryEngine();
  const changes: boolean[] = [];
  const reasons: string[] = [];
  const view = new DockerView({
    api: engine,
    now: Date.now,
    logger: silentLogger,
    relistIntervalMs,
    retry: { baseMs: 1, maxMs: 5 },
    random: () => 0,
    onReadableChange: (readable, reason) => {
      changes.push(readable);
      if (reason) reasons.push(reason);
    },
  });
  return { engine, view, changes, reasons };
}

const ids = async (view: DockerView) => (await view.read()).containers.map((c) => c.id).sort();

const jestStop: DockerView[] = [];
afterEach(() => jestStop.splice(0).forEach((view) => view.stop()));
async function started(relistIntervalMs?: number) {
  const s = setup(relistIntervalMs);
  jestStop.push(s.view);
  s.view.start();
  await eventually('the view to be readable', () => s.view.readable, 4_000);
  return s;
}

test('unreadable until listed, and it says so', async () => {
  const { engine, view } = setup();
  jestStop.push(view);
  let release!: () => void;
  engine.holdListing = new Promise((resolve) => (release = resolve));
  view.start();
  await flush();
  expect(view.starting).toBe(true);
  await expect(view.read()).rejects.toThrow(/has not been listed yet/);
  release();
  await eventually('the view to be readable', () => view.readable, 4_000);
  expect(view.starting).toBe(false);
  expect(await ids(view)).toEqual([]);
});

test('an engine that does not answer at start: no longer "starting" (sweeps go ahead and fail closed), and the reason says why', async () => {
  const { engine, view } = setup();
  jestStop.push(view);
  engine.down = true;
  view.start();
  await eventually('the view to have started', () => !view.starting, 4_000);
  expect(view.readable).toBe(false);
  expect(view.unreadableReason()).toMatch(/has not been listed yet \(waiting since .*\): cannot reach Docker$/);
  engine.down = false;
  await eventually('the view to be readable', () => view.readable, 4_000);
});

test('an event for a container the listing has not seen is inspected and added', async () => {
  const { engine, view } = await started();
  engine.containers.set(id(1), record(id(1)));
  engine.emit('exec_start: sh', id(1)); // not an action that changes anything, but of an unknown container
  expect(await ids(view)).toEqual([id(1)]);
  expect(engine.calls.list).toBe(1);
});

test('events that come while the listing runs are applied after it: nothing between subscribe and list is lost', async () => {
  const { engine, view } = setup();
  jestStop.push(view);
  engine.containers.set(id(1), record(id(1)));
  let release!: () => void;
  engine.holdListing = new Promise((resolve) => (release = resolve));
  view.start();
  await flush();
  // The listing has read the engine already (with id 1); meanwhile 1 is destroyed and 2 created.
  engine.containers.delete(id(1));
  engine.emit('destroy', id(1));
  engine.containers.set(id(2), record(id(2)));
  engine.emit('create', id(2));
  release();
  await eventually('the view to be readable', () => view.readable, 4_000);
  expect(await ids(view)).toEqual([id(2)]);
});

test('a destroy while an inspect is under way: what the inspect read is of the past and is not applied', async () => {
  const { engine, view } = await started();
  engine.containers.set(id(3), record(id(3)));
  let release!: () => void;
  engine.hold = new Promise((resolve) => (release = resolve));
  engine.emit('create', id(3));
  engine.containers.delete(id(3));
  engine.emit('destroy', id(3));
  engine.hold = undefined;
  release();
  expect(await ids(view)).toEqual([]);
});

test('many events for one container make one more inspect, not one each, and the last state wins', async () => {
  const { engine, view } = await started();
  engine.containers.set(id(4), record(id(4), 'created'));
  let release!: () => void;
  engine.hold = new Promise((resolve) => (release = resolve));
  engine.emit('create', id(4));
  engine.containers.set(id(4), record(id(4), 'running'));
  for (const action of ['start', 'pause', 'unpause', 'die', 'start']) engine.emit(action, id(4));
  engine.hold = undefined;
  release();
  const read = await view.read();
  expect(read.containers.map((c) => c.state)).toEqual(['running']);
  expect(engine.calls.inspect).toBe(2);
});

test('a stream that breaks makes the view unreadable at once; it lists again and is readable', async () => {
  const { engine, view, changes } = await started();
  engine.containers.set(id(5), record(id(5)));
  engine.down = true;
  engine.breakStreams('the connection closed');
  expect(view.readable).toBe(false);
  await expect(view.read()).rejects.toThrow(
    /^Docker's event stream broke at .* \(the event stream ended: the connection closed\) and the engine is not listed again yet$/,
  );
  expect(changes).toEqual([true, false]);
  // Retried with backoff while the engine is down, then listed once it answers.
  await new Promise((resolve) => setTimeout(resolve, 30));
  expect(view.readable).toBe(false);
  engine.down = false;
  await eventually('the view to be readable', () => view.readable, 4_000);
  expect(changes).toEqual([true, false, true]);
  expect(await ids(view)).toEqual([id(5)]);
});

test('an inspect that fails (not a 404) breaks the view: it can no longer say what the engine holds', async () => {
  const { engine, view, changes, reasons } = await started();
  engine.inspectContainer = async () => {
    throw new Error('500 server error');
  };
  engine.containers.set(id(6), record(id(6)));
  engine.emit('create', id(6));
  // Listed again at once: what the failed inspect would have told is in the listing.
  await eventually('three changes and a readable view', () => changes.length === 3 && view.readable, 4_000);
  expect(changes).toEqual([true, false, true]);
  expect(reasons).toEqual([expect.stringMatching(/could not inspect container .*: 500 server error/)]);
  expect(engine.calls.list).toBe(2);
  expect(await ids(view)).toEqual([id(6)]);
});

test('the safety relist replaces what is held without the view going unreadable', async () => {
  const { engine, view, changes } = await started(20);
  // Drift no event showed (Docker sends none when a never-started container is connected, say).
  engine.containers.set(id(7), record(id(7)));
  await eventually('a relist', () => engine.calls.list >= 2, 4_000);
  await eventually(
    'one open subscription after the relist',
    () => engine.subscriptions.filter((s) => s.open).length === 1 && engine.calls.list >= 2,
    4_000,
  );
  expect(await ids(view)).toEqual([id(7)]);
  expect(changes).toEqual([true]);
});

test('lookUpContainers asks the engine only for containers the view does not hold, and never twice for one gone', async () => {
  const { engine, view } = await started();
  engine.containers.set(id(8), record(id(8)));
  engine.emit('create', id(8));
  await view.read();
  engine.containers.set(id(9), record(id(9))); // its event not here yet
  const inspects = engine.calls.inspect;
  const found = await view.lookUpContainers([id(8), id(9), id(10)]);
  expect(found.map((c) => c.id).sort()).toEqual([id(8), id(9)]);
  expect(engine.calls.inspect).toBe(inspects + 2);
  await view.lookUpContainers([id(10)]);
  expect(engine.calls.inspect).toBe(inspects + 2);
});

test('a read waits for the inspects of events received before it, not for those of events after', async () => {
  const { engine, view } = await started();
  engine.containers.set(id(11), record(id(11), 'created'));
  let releaseFirst!: () => void;
  engine.hold = new Promise((resolve) => (releaseFirst = resolve));
  engine.emit('create', id(11));
  const read = view.read();
  // An object whose events never stop must not hold the read up: this one comes after it.
  let releaseSecond!: () => void;
  engine.hold = new Promise((resolve) => (releaseSecond = resolve));
  engine.containers.set(id(11), record(id(11), 'running'));
  engine.emit('start', id(11));
  releaseFirst();
  expect((await read).containers.map((c) => c.state)).toEqual(['created']);
  releaseSecond();
  const later = view.read();
  expect((await later).containers.map((c) => c.state)).toEqual(['running']);
});

function attached(containerId: string, network: { id?: string; name: string }): ContainerRecord {
  const base = record(containerId, 'created');
  return { ...base, attachments: [{ name: network.name, ...(network.id ? { networkId: network.id } : {}) }] };
}

test("attachedTo answers a network removal's check from the view, each attached container inspected again", async () => {
  const net = { id: id(100), name: 'lab' };
  const { engine, view } = await started();
  engine.containers.set(id(1), attached(id(1), { name: 'lab' })); // never started: named only
  engine.containers.set(id(2), attached(id(2), net));
  engine.containers.set(id(3), attached(id(3), { id: id(101), name: 'other' }));
  engine.containers.set(id(4), record(id(4)));
  for (const n of [1, 2, 3, 4]) engine.emit('create', id(n));
  await view.read();
  const inspects = engine.calls.inspect;
  expect((await view.attachedTo(net)).map((c) => c.resource.id).sort()).toEqual([id(1), id(2)]);
  expect(engine.calls.inspect).toBe(inspects + 2); // the two attached, not every container

  // Removed a moment ago, its destroy event still on the way: the inspect says it is gone.
  engine.containers.delete(id(1));
  // Reconnected elsewhere since the view last heard of it: the inspect has the truth.
  engine.containers.set(id(2), attached(id(2), { id: id(101), name: 'other' }));
  expect(await view.attachedTo(net)).toEqual([]);
});

test('attachedTo throws while the view cannot be read: the removal fails rather than guess', async () => {
  const { engine, view } = await started();
  engine.breakStreams('the stream ended');
  await expect(view.attachedTo({ id: id(100), name: 'lab' })).rejects.toThrow();
});
