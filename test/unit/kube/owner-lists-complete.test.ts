// Owners past the first page must never look deleted. client-node reads a list of custom objects
// with an object's metadata and drops `metadata.continue`, so a limited (paged) list ends silently
// at its first page: with 1,000 Topologies the 500 past it looked deleted and their containers were
// reaped. A tiny local server that pages whenever a limit is asked for shows whether every owner
// arrives, for the controller's informer and for the CLI's (and the re-check's) cluster listing,
// both of which now list page by page, as whole objects or as metadata (PartialObjectMetadataList,
// which the server here sends when asked, as the API server does).
import type * as k8s from '@kubernetes/client-node';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parsePolicy } from '../../../src/api/parse-policy.js';
import { METADATA_WATCH_ACCEPT, ResilientInformer } from '../../../src/kube/informer.js';
import { METADATA_LIST_ACCEPT } from '../../../src/kube/paged-list.js';
import { METADATA_ONLY, projectionOf } from '../../../src/kube/projection.js';
import { KubeListOwnerSource } from '../../../src/owners/kube-list-source.js';
import { LocalServer, kubeConfigFor } from '../../support/local-server.js';
import { ManualTimers } from './manual-timers.js';

const OWNERS = 1_200;
const API_VERSION = 'reaper.dev/v1alpha1';

class PagingApiServer extends LocalServer {
  readonly limits: (string | null)[] = [];
  /** The Accept header of every list and watch request. */
  readonly accepts: { list: string[]; watch: string[] } = { list: [], watch: [] };
  private readonly watches: ServerResponse[] = [];
  readonly items = Array.from({ length: OWNERS }, (_, i) => ({
    apiVersion: API_VERSION,
    kind: 'Topology',
    metadata: { name: `lab-${i}`, namespace: 'labs', uid: `uid-${i}`, resourceVersion: '7' },
    spec: { labId: `lab-id-${i}`, nodes: [{ name: 'r1', image: 'busybox', networks: [] }] },
  }));

  protected override openResponses(): readonly ServerResponse[] {
    return this.watches;
  }

  protected override handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('Content-Type', 'application/json');
    if (url.pathname === `/apis/${API_VERSION}`) {
      res.end(
        JSON.stringify({
          kind: 'APIResourceList',
          groupVersion: API_VERSION,
          resources: [{ name: 'topologies', namespaced: true, kind: 'Topology', verbs: ['list', 'watch'] }],
        }),
      );
      return;
    }
    const accept = req.headers.accept ?? '';
    const metadataOnly = accept.includes('as=PartialObjectMetadata');
    if (url.searchParams.get('watch') === 'true') {
      this.accepts.watch.push(accept);
      res.writeHead(200);
      res.flushHeaders();
      this.watches.push(res);
      return;
    }
    // As the API server does: a limit gets a page and a continue token for the rest.
    const limit = url.searchParams.get('limit');
    this.limits.push(limit);
    this.accepts.list.push(accept);
    const start = Number(url.searchParams.get('continue') ?? 0);
    const end = limit === null ? this.items.length : Math.min(this.items.length, start + Number(limit));
    const metadata = { resourceVersion: '7', ...(end < this.items.length ? { continue: String(end) } : {}) };
    const items = this.items.slice(start, end);
    res.end(
      JSON.stringify(
        metadataOnly
          ? {
              apiVersion: 'meta.k8s.io/v1',
              kind: 'PartialObjectMetadataList',
              metadata,
              items: items.map((item) => ({
                apiVersion: 'meta.k8s.io/v1',
                kind: 'PartialObjectMetadata',
                metadata: item.metadata,
              })),
            }
          : { apiVersion: API_VERSION, kind: 'TopologyList', metadata, items },
      ),
    );
  }
}

describe('owner listings are complete past any page size (local server)', () => {
  let api: PagingApiServer;
  let kc: k8s.KubeConfig;

  beforeEach(async () => {
    api = new PagingApiServer();
    kc = kubeConfigFor(await api.listen());
  });

  afterEach(() => api.close());

  test(`the informer caches all ${OWNERS} owners`, async () => {
    const informer = new ResilientInformer(
      kc,
      { apiVersion: API_VERSION, kind: 'Topology', namespace: 'labs' },
      { timers: new ManualTimers(), watchTimeoutSeconds: () => 60 },
    );
    try {
      await informer.start();
      expect(informer.state()).toEqual({ synced: true, healthy: true });
      const names = new Set(informer.list().map((o) => o.metadata?.name));
      expect(names.size).toBe(OWNERS);
      expect(names.has(`lab-${OWNERS - 1}`)).toBe(true);
      // Page by page: never one answer of every owner.
      expect(api.limits).toEqual(['500', '500', '500']);
      // Without a projection: whole objects.
      expect(api.accepts.list).toEqual(['application/json', 'application/json', 'application/json']);
      expect(informer.get(`lab-${OWNERS - 1}`, 'labs')).toHaveProperty('spec.labId', `lab-id-${OWNERS - 1}`);
    } finally {
      await informer.stop();
    }
  });

  test(`a metadata informer asks for PartialObjectMetadata, pages the same, and caches all ${OWNERS} owners without spec`, async () => {
    const informer = new ResilientInformer(
      kc,
      { apiVersion: API_VERSION, kind: 'Topology', namespace: 'labs', projection: METADATA_ONLY },
      { timers: new ManualTimers(), watchTimeoutSeconds: () => 60 },
    );
    try {
      await informer.start();
      expect(informer.state()).toEqual({ synced: true, healthy: true });
      expect(informer.list()).toHaveLength(OWNERS);
      expect(api.limits).toEqual(['500', '500', '500']);
      expect(api.accepts.list).toEqual([METADATA_LIST_ACCEPT, METADATA_LIST_ACCEPT, METADATA_LIST_ACCEPT]);
      expect(api.accepts.watch).toEqual([METADATA_WATCH_ACCEPT]);
      // Its own apiVersion and kind, not meta.k8s.io's, and nothing but metadata.
      expect(informer.get(`lab-${OWNERS - 1}`, 'labs')).toEqual({
        apiVersion: API_VERSION,
        kind: 'Topology',
        metadata: { name: `lab-${OWNERS - 1}`, namespace: 'labs', uid: `uid-${OWNERS - 1}`, resourceVersion: '7' },
      });
    } finally {
      await informer.stop();
    }
  });

  test('a projection of a spec field lists whole objects and keeps that field alone', async () => {
    const informer = new ResilientInformer(
      kc,
      { apiVersion: API_VERSION, kind: 'Topology', namespace: 'labs', projection: projectionOf([['spec', 'labId']]) },
      { timers: new ManualTimers(), watchTimeoutSeconds: () => 60 },
    );
    try {
      await informer.start();
      expect(informer.list()).toHaveLength(OWNERS);
      expect(api.accepts.list).toEqual(['application/json', 'application/json', 'application/json']);
      expect(informer.get('lab-7', 'labs')).toHaveProperty('spec', { labId: 'lab-id-7' });
    } finally {
      await informer.stop();
    }
  });

  test(`the cluster listing (and so the fresh re-check) sees all ${OWNERS} owners`, async () => {
    const parsed = parsePolicy({
      apiVersion: API_VERSION,
      kind: 'ReapPolicy',
      metadata: { name: 'p' },
      spec: { owners: [{ apiVersion: API_VERSION, kind: 'Topology', namespaces: ['labs'] }] },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const listing = await new KubeListOwnerSource(kc).list(parsed.policy);
    expect(listing.live).toMatchObject({ synced: true, errors: [] });
    expect(listing.count).toBe(OWNERS);
    expect(api.limits).toEqual(['500', '500', '500']);
    // uid keys: metadata is all it reads.
    expect(new Set(api.accepts.list)).toEqual(new Set([METADATA_LIST_ACCEPT]));
  });

  test('a field key is listed from whole objects', async () => {
    const parsed = parsePolicy({
      apiVersion: API_VERSION,
      kind: 'ReapPolicy',
      metadata: { name: 'p' },
      spec: { owners: [{ apiVersion: API_VERSION, kind: 'Topology', namespaces: ['labs'], key: '.spec.labId' }] },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const { live } = await new KubeListOwnerSource(kc).list(parsed.policy);
    expect(live.keys.has('lab-id-0') && live.keys.has(`lab-id-${OWNERS - 1}`)).toBe(true);
    expect(live.keys.has('uid-0')).toBe(false);
    expect(live.keys.size).toBe(OWNERS);
    expect(new Set(api.accepts.list)).toEqual(new Set(['application/json']));
  });
});
