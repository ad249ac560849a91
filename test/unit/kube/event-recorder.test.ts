import type * as k8s from '@kubernetes/client-node';
import type { EventChanges, EventSink } from '../../../src/kube/event-recorder.js';
import { EventRecorder } from '../../../src/kube/event-recorder.js';
import { ManualTimers, settle } from './manual-timers.js';

/** Keeps written Events in memory, like the API server would, and counts the writes. */
class MemorySink implements EventSink {
  readonly events = new Map<string, k8s.CoreV1Event>();
  writes = 0;
  failNext = 0;

  async create(namespace: string, event: k8s.CoreV1Event): Promise<void> {
    this.writes++;
    if (this.failNext-- > 0) throw Object.assign(new Error('unavailable'), { statusCode: 503 });
    this.events.set(`${namespace}/${event.metadata.name}`, structuredClone(event));
  }

  async update(namespace: string, name: string, changes: EventChanges): Promise<void> {
    this.writes++;
    if (this.failNext-- > 0) throw Object.assign(new Error('unavailable'), { statusCode: 503 });
    const event = this.events.get(`${namespace}/${name}`);
    if (!event) throw Object.assign(new Error('not found'), { statusCode: 404 });
    Object.assign(event, changes);
  }

  list(): k8s.CoreV1Event[] {
    return [...this.events.values()];
  }
}

const policy = { apiVersion: 'reaper.dev/v1alpha1', kind: 'ReapPolicy', name: 'default', uid: 'u-1' };
const topology = { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', name: 'lab', namespace: 'team-a', uid: 'u-2' };

function setup(options: { minWriteIntervalMs?: number; seriesWindowMs?: number; maxTracked?: number } = {}) {
  const timers = new ManualTimers();
  const sink = new MemorySink();
  const recorder = new EventRecorder(sink, { timers, host: 'node-1', minWriteIntervalMs: 10_000, ...options });
  return { timers, sink, recorder };
}

describe('EventRecorder', () => {
  test('thousands of occurrences make one Event with their count and few writes', async () => {
    const { sink, recorder, timers } = setup();
    for (let i = 1; i <= 3000; i++) recorder.normal(policy, 'Reaped', `reaped container c${i}`);
    await settle();
    expect(sink.writes).toBe(1);
    await timers.advance(10_000);
    expect(sink.writes).toBe(2);

    const [event] = sink.list();
    expect(sink.list()).toHaveLength(1);
    expect(event).toMatchObject({
      type: 'Normal',
      reason: 'Reaped',
      count: 3000,
      message: 'reaped container c3000',
      involvedObject: { kind: 'ReapPolicy', name: 'default', uid: 'u-1' },
      source: { component: 'reaper', host: 'node-1' },
      reportingComponent: 'reaper',
      reportingInstance: 'node-1',
    });
    // Cluster-scoped objects' Events live in "default".
    expect([...sink.events.keys()][0]).toMatch(/^default\/default\.[0-9a-f]+$/);
  });

  test('one Event per object, type and reason; namespaced objects get Events in their namespace', async () => {
    const { sink, recorder } = setup();
    recorder.normal(policy, 'Reaped', 'x');
    recorder.warning(policy, 'Reaped', 'x');
    recorder.warning(policy, 'Blocked', 'too many orphans', 1);
    recorder.normal(topology, 'Reaped', 'torn down');
    await recorder.flush();
    expect(sink.list()).toHaveLength(4);
    expect([...sink.events.keys()].filter((k) => k.startsWith('team-a/lab.'))).toHaveLength(1);
  });

  test('a count can be recorded at once', async () => {
    const { sink, recorder } = setup();
    recorder.normal(policy, 'Reaped', 'reaped 250 containers', 250);
    recorder.normal(policy, 'Reaped', 'reaped 50 containers', 50);
    await recorder.flush();
    expect(sink.list()[0]?.count).toBe(300);
  });

  test('writes at most once per interval, and nothing when nothing new happened', async () => {
    const { sink, recorder, timers } = setup();
    recorder.normal(policy, 'Reaped', 'a');
    await settle();
    recorder.normal(policy, 'Reaped', 'b');
    await timers.advance(9_999);
    expect(sink.writes).toBe(1);
    await timers.advance(1);
    expect(sink.writes).toBe(2);
    await timers.advance(60_000);
    expect(sink.writes).toBe(2);
    expect(timers.pending).toBe(0);
  });

  test('after a quiet series window a repetition starts a new Event', async () => {
    const { sink, recorder, timers } = setup({ seriesWindowMs: 60_000 });
    recorder.normal(policy, 'Reaped', 'first');
    await settle();
    await timers.advance(60_001);
    recorder.normal(policy, 'Reaped', 'second');
    await recorder.flush();
    expect(sink.list().map((e) => [e.message, e.count])).toEqual([
      ['first', 1],
      ['second', 1],
    ]);
  });

  test('an Event that disappeared is created again with the running count', async () => {
    const { sink, recorder, timers } = setup();
    recorder.normal(policy, 'Reaped', 'one');
    await settle();
    sink.events.clear();
    recorder.normal(policy, 'Reaped', 'two');
    await timers.advance(10_000);
    expect(sink.list()).toMatchObject([{ count: 2, message: 'two' }]);
  });

  test('a failed write is dropped, and the next record writes the whole count', async () => {
    const { sink, recorder, timers } = setup();
    sink.failNext = 1;
    recorder.normal(policy, 'Reaped', 'one');
    await settle();
    expect(sink.list()).toHaveLength(0);
    await timers.advance(60_000);
    expect(sink.writes).toBe(1);
    recorder.normal(policy, 'Reaped', 'two');
    await settle();
    expect(sink.list()).toMatchObject([{ count: 2 }]);
  });

  test('forgets the least recently used series beyond maxTracked', async () => {
    const { sink, recorder } = setup({ maxTracked: 2 });
    for (const name of ['a', 'b', 'c']) recorder.normal({ ...policy, uid: name, name }, 'Reaped', name);
    await recorder.flush();
    recorder.normal({ ...policy, uid: 'a', name: 'a' }, 'Reaped', 'again');
    await recorder.flush();
    // "a" was forgotten, so its repetition is a new Event.
    expect(sink.list().filter((e) => e.involvedObject.name === 'a')).toHaveLength(2);
  });

  test('stop flushes what is pending and ignores later records', async () => {
    const { sink, recorder, timers } = setup();
    recorder.normal(policy, 'Reaped', 'one');
    await settle();
    recorder.normal(policy, 'Reaped', 'two');
    await recorder.stop();
    expect(sink.list()[0]?.count).toBe(2);
    recorder.normal(policy, 'Reaped', 'three');
    await timers.advance(60_000);
    expect(sink.list()[0]?.count).toBe(2);
    expect(timers.pending).toBe(0);
  });
});
