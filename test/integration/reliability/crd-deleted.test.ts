// Owners vanish en masse because their CRD is deleted: a kind made for this test only (so other
// tests' Topology and Sandbox CRDs are never touched), named by the policy's owners. The API server
// deletes every object of the kind, then stops serving it. reaper must reap nothing: the sweep is
// blocked by the blast-radius guard or fails closed because it cannot list the kind, and the policy
// says which in its conditions. When the CRD comes back without its objects, the guard blocks.
// A controller that starts while the kind is not served at all fails closed too.
import { randomUUID } from 'node:crypto';
import { uniqueName } from '../../support/engines.js';
import { kubectl } from '../../support/kubectl.js';
import type { ControllerProcess, LogLine } from '../../support/controller-process.js';
import { startController, sweepsOf } from '../../support/controller-process.js';
import { eventually } from '../../support/eventually.js';
import type { KubeObject, OwnerResources } from '../../support/scenario.js';
import { apiVersion as reaperApiVersion, ControllerScenario } from '../../support/scenario.js';
import { reportConditions } from '../../support/node-report.js';

const scenario = new ControllerScenario('rel-crd');
const group = `${uniqueName('labs')}.reliability.test`;
const crdName = `labs.${group}`;
const ownerApiVersion = `${group}/v1`;
const NODE = 'node-crd';
let controller: ControllerProcess | undefined;
let lateStarter: ControllerProcess | undefined;
const absent = new ControllerScenario('rel-crd-absent');

function crdManifest(): string {
  return JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'labs', singular: 'lab', kind: 'Lab', listKind: 'LabList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  });
}

function installCrd(): void {
  kubectl(['apply', '-f', '-'], crdManifest());
  kubectl(['wait', '--for=condition=Established', '--timeout=60s', `crd/${crdName}`]);
}

afterAll(async () => {
  const codes = [await controller?.stop(), await lateStarter?.stop()];
  kubectl(['delete', 'crd', crdName, '--ignore-not-found', '--wait=false']);
  await scenario.cleanUp();
  await absent.cleanUp();
  expect(codes.filter((code) => code !== undefined && code !== 0)).toEqual([]);
}, 120_000);

const total = (left: { containers: number; networks: number; leases: number }) =>
  left.containers + left.networks + left.leases;
const countOf = (sweep: LogLine, what: 'reaped' | 'orphaned' | 'pending') =>
  Object.values((sweep.counts ?? {}) as Record<string, Record<typeof what, number>>).reduce((n, c) => n + c[what], 0);
const reapedIn = (sweep: LogLine) => countOf(sweep, 'reaped');

test('deleting the owners’ CRD reaps nothing (blocked or failed closed, with a clear condition); the CRD back without its objects: blocked', async () => {
  installCrd();
  const namespace = await scenario.namespace();
  const labs: OwnerResources[] = [];
  for (let i = 0; i < 4; i++) {
    const lab = (await scenario.custom.createNamespacedCustomObject({
      group,
      version: 'v1',
      plural: 'labs',
      namespace,
      body: { apiVersion: ownerApiVersion, kind: 'Lab', metadata: { name: `lab${i}` }, spec: {} },
    })) as KubeObject;
    labs.push(await scenario.materialize(`lab${i}`, lab, { containers: 2 }));
  }
  // An owner of another kind, so the policy has something live that the deletion does not touch.
  const survivorOwner = await scenario.createTopology(namespace, 'survivor', 1);
  const survivor = await scenario.materialize('survivor', survivorOwner, { containers: 1 });
  // The blast-radius guard at maxOrphanPercent 50, from two owners on (four Labs go with their CRD);
  // a sweep every two seconds.
  await scenario.createPolicy({
    // This namespace only: other tests' Topologies on the shared API server must not count.
    owners: [
      { apiVersion: ownerApiVersion, kind: 'Lab', namespaces: [namespace] },
      { apiVersion: reaperApiVersion, kind: 'Topology', namespaces: [namespace] },
    ],
    timing: { minAge: '0', gracePeriod: '0', interval: '2s' },
    limits: { minOwnersToBlock: 2 },
  });
  controller = await startController({
    nodeName: NODE,
    policySelector: scenario.policySelector,
    args: ['--trigger-delay', '1s'],
  });
  const sweeps = () => sweepsOf(controller!, scenario.policyName);
  await eventually('a first clean sweep that sees every Lab', () =>
    sweeps().some((s) => s.outcome === 'Completed' && s.liveOwners === 5),
  );
  const before = sweeps().length;

  kubectl(['delete', 'crd', crdName, '--wait=true', '--timeout=120s']);
  // Sweeps go on after the kind is gone (interval, owner deletions, the informer's state changes).
  const after = await eventually(
    'four sweeps after the CRD went',
    () => (sweeps().length >= before + 4 ? sweeps().slice(before) : undefined),
    120_000,
  );

  // Not one removal: every sweep since was blocked or failed closed, except one that ran before the
  // deletion reached the controller's cache (no orphans at all) or while the Labs' deletions were
  // still arriving (every orphan held, waiting for the burst to end); everything is still there.
  for (const sweep of after) {
    expect(reapedIn(sweep)).toBe(0);
    if (!['Blocked', 'FailedClosed'].includes(sweep.outcome as string)) {
      expect({ outcome: sweep.outcome, notHeld: countOf(sweep, 'orphaned') - countOf(sweep, 'pending') }).toEqual({
        outcome: 'Completed',
        notHeld: 0,
      });
    }
  }
  for (const resources of labs) expect(total(await scenario.remaining(resources))).toBe(5);
  expect(total(await scenario.remaining(survivor))).toBe(3);

  // Once the kind is gone for good, this agent says it cannot see the Lab owners.
  const blind = await eventually(
    'the policy to say this agent cannot see the Lab owners',
    async () => {
      const own = reportConditions(await scenario.nodeReport(NODE));
      return own('Degraded')?.status === 'True' ? own : undefined;
    },
    60_000,
  );
  const degraded = blind('Degraded')!;
  expect(degraded.reason).toBe('OwnersNotVisible');
  expect(degraded.message).toContain(`Lab.${ownerApiVersion}`);
  expect(blind('Ready')).toMatchObject({ status: 'False', reason: 'FailedClosed' });

  // The CRD comes back empty (a reinstall that did not restore the objects): reaper sees again, and
  // now the blast-radius guard holds: 20 of 23 attributable resources would go.
  const beforeReinstall = sweeps().length;
  installCrd();
  const blockedSweep = await eventually(
    'a blocked sweep once the Lab kind is served again',
    () =>
      sweeps()
        .slice(beforeReinstall)
        .find((s) => s.outcome === 'Blocked'),
    120_000,
  );
  expect(countOf(blockedSweep, 'orphaned')).toBe(20);
  const blocked = await eventually('the policy status to say so', async () => {
    const own = reportConditions(await scenario.nodeReport(NODE));
    return own('Degraded')?.status === 'False' && own('Blocked')?.status === 'True' ? own : undefined;
  });
  expect(blocked('Blocked')?.reason).toBe('TooManyOrphans');
  expect(blocked('Ready')).toMatchObject({ status: 'False', reason: 'Blocked' });
  for (const sweep of sweeps().slice(before)) expect(reapedIn(sweep)).toBe(0);
  for (const resources of labs) expect(total(await scenario.remaining(resources))).toBe(5);
  expect(total(await scenario.remaining(survivor))).toBe(3);
}, 300_000);

test('a controller started while the owners’ kind is not served at all fails closed and reaps nothing', async () => {
  const node = 'node-crd-absent';
  const missingApiVersion = `${uniqueName('never')}.reliability.test/v1`;
  const namespace = await absent.namespace();
  const survivorOwner = await absent.createTopology(namespace, 'survivor', 1);
  const survivor = await absent.materialize('survivor', survivorOwner, { containers: 1 });
  // Resources of owners of the missing kind: uids no object has, so orphans by any measure.
  const stray: KubeObject = { apiVersion: missingApiVersion, kind: 'Lab', metadata: { uid: randomUUID() } };
  const strays = [await absent.materialize('stray', stray, { containers: 2 })];
  await absent.createPolicy({
    owners: [
      { apiVersion: missingApiVersion, kind: 'Lab' },
      { apiVersion: reaperApiVersion, kind: 'Topology' },
    ],
    timing: { minAge: '0', gracePeriod: '0', interval: '2s' },
    limits: { maxOrphanPercent: 100 },
  });
  lateStarter = await startController({
    nodeName: node,
    policySelector: absent.policySelector,
    args: ['--trigger-delay', '1s'],
  });
  const sweeps = () => sweepsOf(lateStarter!, absent.policyName);
  await eventually('three sweeps', () => sweeps().length >= 3, 120_000);
  expect(sweeps().map((s) => s.outcome)).toEqual(sweeps().map(() => 'FailedClosed'));
  expect(sweeps().map(reapedIn)).toEqual(sweeps().map(() => 0));
  const own = await eventually('this agent’s view in the policy status', async () => {
    const view = reportConditions(await absent.nodeReport(node));
    return view('Degraded')?.status === 'True' ? view : undefined;
  });
  expect(own('Degraded')).toMatchObject({ reason: 'OwnersNotVisible' });
  expect(own('Degraded')!.message).toContain(`Lab.${missingApiVersion}`);
  expect(own('Ready')).toMatchObject({ status: 'False', reason: 'FailedClosed' });
  // Not ready either: an owner informer the policy needs is not synced.
  const ready = await lateStarter.get('/readyz?verbose');
  expect(ready.status).toBe(503);
  expect(ready.body).toContain(`Lab.${missingApiVersion}`);
  for (const resources of [...strays, survivor]) {
    expect(await absent.remaining(resources)).toEqual({
      containers: resources.containers.length,
      networks: resources.networks.length,
      leases: resources.leases.length,
    });
  }
}, 300_000);
