// reaper's API on the real kube-apiserver: the CRDs install, the examples are accepted with the same
// defaults the offline validator fills in, admission rejects the invalid table at the same fields
// as the parser, status moves only through /status, and kubectl explain/get teach the API.
import * as k8s from '@kubernetes/client-node';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { parsePolicy } from '../../../src/api/parse-policy.js';
import { compileValidator } from '../../../src/api/validate-schema.js';
import { sandboxSpecSchema, topologySpecSchema } from '../../../src/api/schema/owners.js';
import { validateReapPolicy } from '../../../src/api/validate-policy.js';
import { installCrds, kubectl, repoRoot } from '../../support/kubectl.js';
import { invalidPolicies } from '../../unit/api/invalid-policies.js';
import type { Stored } from './reaper-api.js';
import { DEFAULTED_SPEC } from '../../support/builders.js';
import { eventually } from '../../support/eventually.js';
import { ReaperApi, apiVersion, mergePatch } from './reaper-api.js';

const examples = (dir: string) =>
  readdirSync(path.join(repoRoot, 'examples', dir)).map((file) => ({
    file,
    object: parse(readFileSync(path.join(repoRoot, 'examples', dir, file), 'utf8')) as Record<string, unknown> & {
      metadata: Record<string, unknown>;
      spec: unknown;
    },
  }));

describe('reaper.dev CRDs on a real API server', () => {
  const api = new ReaperApi();
  let namespace = '';

  beforeAll(async () => {
    installCrds();
    namespace = await api.namespace();
  });
  afterAll(() => api.cleanup());

  test('every CRD is Established and its names are accepted', async () => {
    const extensions = api.kc.makeApiClient(k8s.ApiextensionsV1Api);
    for (const name of ['reappolicies.reaper.dev', 'topologies.reaper.dev', 'sandboxes.reaper.dev']) {
      const crd = await extensions.readCustomResourceDefinition({ name });
      const conditions = crd.status?.conditions ?? [];
      expect(conditions).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));
      expect(conditions).toContainEqual(expect.objectContaining({ type: 'NamesAccepted', status: 'True' }));
    }
  });

  test('an empty policy gets the documented defaults', async () => {
    const created = await api.createPolicy({ apiVersion, kind: 'ReapPolicy', metadata: { name: api.policyName() } });
    if (!created.accepted) throw new Error(created.message);
    expect(created.object.spec).toEqual(DEFAULTED_SPEC);
  });

  test.each(examples('policies'))(
    'examples/policies/$file is accepted with the defaults the parser fills in',
    async ({ object }) => {
      const body = { ...object, metadata: { ...object.metadata, name: api.policyName(String(object.metadata.name)) } };
      const created = await api.createPolicy(body);
      if (!created.accepted) throw new Error(created.message);
      const offline = validateReapPolicy(body);
      if (!offline.ok) throw new Error(JSON.stringify(offline.problems));
      expect(created.object.spec).toEqual(offline.object.spec);
      // What the controller reads back from the cluster parses to the same Policy as the file.
      const fromCluster = parsePolicy(created.object);
      const fromFile = parsePolicy(body);
      expect(fromCluster.ok && fromFile.ok).toBe(true);
      if (fromCluster.ok && fromFile.ok) expect({ ...fromCluster.policy, generation: 0 }).toEqual(fromFile.policy);
    },
  );

  test.each(examples('owners'))('examples/owners/$file is accepted with the offline defaults', async ({ object }) => {
    const plural = object.kind === 'Topology' ? 'topologies' : 'sandboxes';
    const created = await api.createOwner(plural, namespace, {
      ...object,
      metadata: { ...object.metadata, namespace },
    });
    if (!created.accepted) throw new Error(created.message);
    const schema = object.kind === 'Topology' ? topologySpecSchema : sandboxSpecSchema;
    expect(created.object.spec).toEqual(compileValidator(schema)(object.spec, 'spec').value);
  });

  test.each(invalidPolicies)(
    'admission and the parser reject "$name" at $paths',
    async ({ spec, metadataName, paths }) => {
      const body = { apiVersion, kind: 'ReapPolicy', metadata: { name: metadataName ?? api.policyName() }, spec };
      const created = await api.createPolicy(body);
      expect(created).toMatchObject({ accepted: false, code: 422, fields: [...paths].sort() });
      const parsed = parsePolicy(body);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect([...new Set(parsed.problems.map((p) => p.path))].sort()).toEqual([...paths].sort());
    },
  );

  test('unknown fields: rejected under strict field validation, as by the parser', async () => {
    const body = {
      apiVersion,
      kind: 'ReapPolicy',
      metadata: { name: api.policyName() },
      spec: { timing: { maxAge: '1h' }, owners: [{ apiVersion: 'v1', kind: 'ConfigMap', nmespaces: ['a'] }] },
    };
    const created = await api.createPolicy(body);
    const fields = ['spec.owners[0].nmespaces', 'spec.timing.maxAge'];
    expect(created).toMatchObject({ accepted: false, code: 400, fields });
    const parsed = parsePolicy(body);
    expect(!parsed.ok && parsed.problems.map((p) => p.path).sort()).toEqual(fields);
  });

  test('status is written only through /status, and spec writes leave status alone', async () => {
    const name = api.policyName();
    const created = await api.createPolicy({
      apiVersion,
      kind: 'ReapPolicy',
      metadata: { name },
      spec: { mode: 'DryRun' },
    });
    if (!created.accepted) throw new Error(created.message);
    const generation = created.object.metadata!.generation!;
    const target = { group: 'reaper.dev', version: 'v1alpha1', plural: 'reappolicies', name };

    // Status sent to the main resource is dropped.
    await api.custom.patchClusterCustomObject({ ...target, body: { status: { observedGeneration: 99 } } }, mergePatch);
    let current: Stored = await api.getPolicy(name);
    // Only the API server's default (observedGeneration 0 until an agent writes status) is there.
    expect(current.status).toEqual({ observedGeneration: 0 });

    // Spec sent to /status is dropped; status is stored; generation does not move.
    await api.custom.patchClusterCustomObjectStatus(
      { ...target, body: { spec: { mode: 'Reap' }, status: { observedGeneration: 1 } } },
      mergePatch,
    );
    current = await api.getPolicy(name);
    expect(current.spec).toMatchObject({ mode: 'DryRun' });
    expect(current.status).toEqual({ observedGeneration: 1 });
    expect(current.metadata!.generation).toBe(generation);

    // A spec change bumps the generation and keeps status.
    await api.custom.patchClusterCustomObject({ ...target, body: { spec: { mode: 'Reap' } } }, mergePatch);
    current = await api.getPolicy(name);
    expect(current.metadata!.generation).toBe(generation + 1);
    expect(current.spec).toMatchObject({ mode: 'Reap' });
    expect(current.status).toEqual({ observedGeneration: 1 });

    // Status is validated too.
    await expect(
      api.custom.patchClusterCustomObjectStatus(
        { ...target, body: { status: { observedGeneration: -1 } } },
        mergePatch,
      ),
    ).rejects.toMatchObject({ code: 422 });
  });

  test('kubectl explain teaches the API', async () => {
    // Words only: kubectl wraps descriptions at its own width.
    const explain = (field: string) => kubectl(['explain', field]).replace(/\s+/g, ' ');
    // The API server publishes a changed CRD's OpenAPI (what kubectl explain reads) a few seconds
    // after the CRD itself.
    await eventually('the CRDs’ OpenAPI in kubectl explain', () => {
      const timing = explain('reappolicy.spec.timing');
      expect(timing).toContain('DESCRIPTION: When an orphan may go.');
      expect(timing).toContain(
        'minAge <string> Resources younger than this are never reaped. A duration such as 90s, 5m or 1h30m. Default: 5m.',
      );
      expect(timing).toContain('gracePeriod <string> How long a resource must be seen orphaned, continuously');
      expect(timing).toContain('interval <string> Time between periodic sweeps. A duration such as 90s, 5m or 1h30m.');
      return true;
    });
    expect(explain('reappolicy.spec.limits')).toContain(
      'minOwnersToBlock <integer> Fewer owners gone than this (1 to 100000) never block a sweep',
    );
    expect(explain('reappolicy.spec.match.nameRegex')).toContain('with a named group "key" holding the owner key');
    expect(explain('reapnodereport.status')).toContain('lastHeartbeatTime <string> When the agent last wrote');
    expect(explain('reappolicy.status.fleet')).toContain('stale <integer> Nodes whose agent has not written');
    expect(explain('topology.spec.nodes')).toContain('networks <[]string> Networks the node is attached to.');
    expect(explain('sandbox.status.lastReap.counts')).toContain(
      'ipLeases <Object> -required- Counts for IP leases in this sweep.',
    );
  });

  test('short names and the reaper category reach every kind', () => {
    const name = api.policyName();
    kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion, kind: 'ReapPolicy', metadata: { name } }));
    expect(kubectl(['get', 'rp', name, '-o', 'name']).trim()).toBe(`reappolicy.reaper.dev/${name}`);
    const all = kubectl(['get', 'reaper', '-A', '-o', 'name']);
    expect(all).toContain(`reappolicy.reaper.dev/${name}`);
    expect(all).toMatch(/topology\.reaper\.dev\//);
    expect(kubectl(['get', 'topo,sbx', '-n', namespace, '-o', 'name'])).toMatch(/sandbox\.reaper\.dev\//);
  });
});
