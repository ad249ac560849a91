// The informer's own logic (state, restart after errors, the dead-watch guard) against a tiny local
// HTTP server that speaks just enough of the API; the real API server is in test/integration/kube.
import type * as k8s from '@kubernetes/client-node';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ResilientInformer } from '../../../src/kube/informer.js';
import { ManualTimers, settle } from './manual-timers.js';
import { eventually } from '../../support/eventually.js';
import { LocalServer, kubeConfigFor } from '../../support/local-server.js';

class TinyApiServer extends LocalServer {
  watches: ServerResponse[] = [];
  /** Watch requests held without an answer, as by a server that stopped answering. */
  held: ServerResponse[] = [];
  holdWatches = false;
  listStatus = 200;
  lists = 0;
  items: k8s.V1ConfigMap[] = [{ metadata: { name: 'a', namespace: 'ns', resourceVersion: '1' } }];

  protected override openResponses(): readonly ServerResponse[] {
    return [...this.watches, ...this.held];
  }

  send(type: string, object: k8s.V1ConfigMap): void {
    for (const watch of this.watches) if (!watch.writableEnded) watch.write(`${JSON.stringify({ type, object })}\n`);
  }

  protected override handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('Content-Type', 'application/json');
    if (url.pathname === '/api/v1') {
      res.end(
        JSON.stringify({
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [{ name: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: ['list', 'watch'] }],
        }),
      );
    } else if (url.searchParams.get('watch') === 'true' && this.holdWatches) {
      this.held.push(res);
    } else if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200);
      res.flushHeaders();
      this.watches.push(res);
    } else {
      this.lists++;
      res.statusCode = this.listStatus;
      res.end(
        JSON.stringify(
          this.listStatus === 200
            ? { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: this.items }
            : { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'try later', code: this.listStatus },
        ),
      );
    }
  }
}

describe('ResilientInformer (local server)', () => {
  let api: TinyApiServer;
  let kc: k8s.KubeConfig;
  let informer: ResilientInformer<k8s.V1ConfigMap> | undefined;

  beforeEach(async () => {
    api = new TinyApiServer();
    kc = kubeConfigFor(await api.listen());
  });

  afterEach(async () => {
    await informer?.stop();
    informer = undefined;
    await api.close();
  });

  const make = (timers: ManualTimers, watchIdleTimeoutMs?: number) =>
    (informer = new ResilientInformer<k8s.V1ConfigMap>(
      kc,
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' },
      {
        timers,
        watchTimeoutSeconds: () => 60,
        restartBackoff: { baseMs: 1_000, maxMs: 4_000 },
        ...(watchIdleTimeoutMs ? { watchIdleTimeoutMs } : {}),
      },
    ));

  test('its revision changes with each event and state change, not otherwise, and no other informer has it', async () => {
    const timers = new ManualTimers();
    const cms = make(timers);
    const beforeStart = cms.revision;
    await cms.start();
    const synced = cms.revision;
    expect(synced).toBeGreaterThan(beforeStart);
    await settle();
    expect(cms.revision).toBe(synced);

    api.send('ADDED', { metadata: { name: 'b', namespace: 'ns', resourceVersion: '2' } });
    await eventually('b in the cache', () => cms.get('b', 'ns'), 4_000);
    const added = cms.revision;
    expect(added).toBeGreaterThan(synced);
    api.send('DELETED', { metadata: { name: 'a', namespace: 'ns', resourceVersion: '3' } });
    await eventually('a gone from the cache', () => !cms.get('a', 'ns'), 4_000);
    expect(cms.revision).toBeGreaterThan(added);

    const other = new ResilientInformer(kc, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'other' });
    expect(other.revision).not.toBe(cms.revision);
    const beforeStop = cms.revision;
    await cms.stop();
    expect(cms.revision).toBeGreaterThan(beforeStop); // no longer healthy
  });

  test('a watch that outlives its timeout is aborted, reported, and restarted after backoff', async () => {
    const timers = new ManualTimers();
    const cms = make(timers);
    await cms.start();
    expect(cms.state()).toEqual({ synced: true, healthy: true });
    expect(cms.list().map((o) => o.metadata?.name)).toEqual(['a']);

    api.send('ADDED', { metadata: { name: 'b', namespace: 'ns', resourceVersion: '2' } });
    await eventually('b in the cache', () => cms.get('b', 'ns'), 4_000);

    // The server promised to end the watch after 60s; 90s later it is taken for dead.
    await timers.advance(89_000);
    expect(cms.healthy).toBe(true);
    await timers.advance(1_000);
    await eventually('the informer to turn unhealthy', () => !cms.healthy, 4_000);
    expect(cms.state()).toMatchObject({ synced: true, healthy: false });
    expect(cms.list()).toHaveLength(2);

    await timers.advance(1_000);
    await eventually('the informer to be healthy', () => cms.healthy, 4_000);
    expect(api.watches).toHaveLength(2);
    // Resumed from the last resourceVersion: no second list.
    expect(api.lists).toBe(1);
  });

  test('a watch that sends nothing, not even a bookmark, for the idle timeout is taken for dead', async () => {
    const timers = new ManualTimers();
    const cms = make(timers, 20_000);
    await cms.start();
    // Events and bookmarks alike show the watch is alive.
    await timers.advance(15_000);
    api.send('BOOKMARK', { metadata: { resourceVersion: '5' } });
    await eventually('resource version 5', () => resourceVersionOf(cms) === '5', 4_000);
    await timers.advance(15_000);
    api.send('ADDED', { metadata: { name: 'c', namespace: 'ns', resourceVersion: '6' } });
    await eventually('c in the cache', () => cms.get('c', 'ns'), 4_000);
    await timers.advance(19_000);
    expect(cms.healthy).toBe(true);

    await timers.advance(1_000);
    await eventually('the informer to turn unhealthy', () => !cms.healthy, 4_000);
    expect(cms.state().lastError).toMatch(/sent nothing, not even a bookmark/);
    await timers.advance(1_000);
    await eventually('the informer to be healthy', () => cms.healthy, 4_000);
    expect(api.watches).toHaveLength(2);
    expect(api.lists).toBe(1);
  });

  test('a watch request that gets no answer fails after the idle timeout, and so does start()', async () => {
    api.holdWatches = true;
    const timers = new ManualTimers();
    const cms = make(timers, 20_000);
    let started = false;
    const starting = cms.start().then(() => (started = true));
    await eventually('a held watch', () => api.held.length === 1, 4_000);
    await timers.advance(19_000);
    expect(started).toBe(false);
    await timers.advance(1_000);
    await starting;
    expect(cms.state()).toMatchObject({ synced: false, healthy: false });
    expect(cms.state().lastError).toMatch(/the watch request got no answer within 20000 ms/);

    // The server answers again: the next attempt syncs.
    api.holdWatches = false;
    await timers.advance(1_000);
    await eventually('the informer to be healthy', () => cms.healthy, 4_000);
    expect(cms.state()).toEqual({ synced: true, healthy: true });
  });

  test('a failing list leaves it unsynced, retried with growing backoff until the list works', async () => {
    api.listStatus = 503;
    const timers = new ManualTimers();
    const cms = make(timers);
    const states: string[] = [];
    cms.onState((s) => states.push(`${s.synced}/${s.healthy}`));
    await cms.start();
    expect(cms.state()).toMatchObject({ synced: false, healthy: false });
    expect(cms.state().lastError).toMatch(/503|try later/);

    await timers.advance(1_000);
    await eventually('a second list', () => api.lists === 2, 4_000);
    await settle();
    await timers.advance(1_999);
    expect(api.lists).toBe(2);
    api.listStatus = 200;
    await timers.advance(1);
    await eventually('the informer to sync', () => cms.synced, 4_000);
    expect(cms.state()).toEqual({ synced: true, healthy: true });
    expect(states.at(-1)).toBe('true/true');
  });

  test('waitUntilReady resolves once synced, or false at its timeout', async () => {
    const timers = new ManualTimers();
    api.listStatus = 503;
    const cms = make(timers);
    await cms.start();
    const waiting = cms.waitUntilReady(500);
    await timers.advance(500);
    await expect(waiting).resolves.toBe(false);

    api.listStatus = 200;
    const ready = cms.waitUntilReady(10_000);
    await timers.advance(1_000);
    await expect(ready).resolves.toBe(true);
  });

  test('after stop no error is reported and nothing restarts', async () => {
    const timers = new ManualTimers();
    const cms = make(timers);
    await cms.start();
    await cms.stop();
    await settle();
    expect(cms.state()).toMatchObject({ healthy: false, lastError: 'stopped' });
    await timers.advance(120_000);
    expect(api.watches).toHaveLength(1);
    expect(timers.pending).toBe(0);
  });
});

/** The resourceVersion the informer's watch has reached (bookmarks move it, and nothing else shows). */
function resourceVersionOf(informer: ResilientInformer<k8s.V1ConfigMap>): string | undefined {
  return (informer as unknown as { listWatch?: k8s.ListWatch<k8s.V1ConfigMap> }).listWatch?.latestResourceVersion();
}
