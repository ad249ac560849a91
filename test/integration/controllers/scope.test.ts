// Scope (issue 13) in the running controller, on the real API server and Docker engine: a policy
// judges a resource only when its labels (or its name rule) place the owner inside the policy's
// kinds and namespaces. Two namespace-scoped policies on one label key each reap only their own
// namespace's orphans; a Topology-only policy leaves a Sandbox's container alone; a policy for a
// custom kind leaves Topologies and Sandboxes alone; and two policies with the same name pattern but
// other owners leave an unlabelled match to neither, say so (ClaimsOverlap), and still reap one
// whose labels say whose it is.
//
// Each test has its own label key (or name pattern), namespaces, containers and agent, which
// sweeps only that test's policies (one agent set, its policy selector). The agent starts once the
// test's owners are made and deleted, so that its caches hold them as they are.
// Policies sweep hourly: a sweep comes when a policy is created or its spec changes (a new
// generation), or an owner it sees is deleted.
//
// What is checked of a sweep does not depend on which agent swept it: out-of-scope containers are reported OutOfScope with why; whatever in scope is not live
// was reaped (by this sweep or one before it); the container is gone from Docker and a Reaped event
// names the policy.
import { randomUUID } from 'node:crypto';
import type { ControllerProcess } from '../../support/controller-process.js';
import { startController } from '../../support/controller-process.js';
import { uniqueName } from '../../support/engines.js';
import { kubectl } from '../../support/kubectl.js';
import { ownerContractLabels } from '../../../src/core/owner-scope.js';
import { OWNER_KIND_LABEL, OWNER_UID_LABEL } from '../../../src/core/policy.js';
import type { KindCounts } from '../../../src/core/report-types.js';
import { eventually } from '../../support/eventually.js';
import type { KubeObject } from '../../support/scenario.js';
import { apiVersion, condition, ControllerScenario } from '../../support/scenario.js';

// A custom owner kind of this test's own group: the CRD stays installed (a later run re-applies it;
// deleting it while another agent may still watch the kind would only make noise).
const LAB_GROUP = 'scope.test.reaper.dev';
const LAB_VERSION = 'v1';
const LAB_API_VERSION = `${LAB_GROUP}/${LAB_VERSION}`;
const LAB_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: labs.${LAB_GROUP}
spec:
  group: ${LAB_GROUP}
  names: { kind: Lab, listKind: LabList, plural: labs, singular: lab }
  scope: Namespaced
  versions:
    - name: ${LAB_VERSION}
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: { type: object, x-kubernetes-preserve-unknown-fields: true }
`;

const TOPOLOGY = { apiVersion, kind: 'Topology' };
const SANDBOX = { apiVersion, kind: 'Sandbox' };
const LAB = { apiVersion: LAB_API_VERSION, kind: 'Lab' };
/** Containers only: the tests make no networks, volumes or leases. */
const CONTAINERS_ONLY = {
  containers: { stopTimeoutSeconds: 1 },
  networks: { enabled: false },
  volumes: { enabled: false },
};

interface Item {
  kind: string;
  name: string;
  id: string;
  ownerKey?: string;
  action: string;
  reason?: string;
}

interface LastSweep {
  sweepId: string;
  node: string;
  outcome: string;
  counts: Record<string, KindCounts>;
  items: Item[];
}

/** A container a test made: its Docker id and name. */
interface Made {
  readonly id: string;
  readonly name: string;
}

let controller: ControllerProcess | undefined;
/** What the running test made: cleaned up after it, pass or fail. */
let made: ControllerScenario[] = [];

/** The test's agent, of its scenarios' agent set: started when its world is ready, stopped after it. */
async function startAgent(nodeName: string, policySelector: string): Promise<void> {
  controller = await startController({ nodeName, policySelector, args: ['--trigger-delay', '1s'] });
}

afterEach(async () => {
  const code = await controller?.stop();
  controller = undefined;
  for (const scenario of made.reverse()) await scenario.cleanUp();
  made = [];
  expect(code ?? 0).toBe(0);
});

/** A scenario of the test; `agents`: the agent set the test's scenarios share (default: its own). */
function scenario(label: string, agents?: string): ControllerScenario {
  const s = new ControllerScenario(label, agents === undefined ? {} : { agents });
  made.push(s);
  return s;
}

/** An owner that need not exist (a uid of no object). */
interface OwnerIdentity {
  apiVersion: string;
  kind: string;
  namespace?: string | undefined;
  uid: string;
}

function identityOf(object: KubeObject): OwnerIdentity {
  return {
    apiVersion: object.apiVersion!,
    kind: object.kind!,
    namespace: object.metadata!.namespace,
    uid: object.metadata!.uid!,
  };
}

/**
 * The labels a deployer writes for an owner, its uid under the test's own `labelKey`: the ownership
 * contract's kind and namespace labels. reaper.dev/owner-uid is left out: a policy of another test
 * matching that shared label on the same engine would claim the container.
 */
function contractLabels(labelKey: string, owner: KubeObject | OwnerIdentity): Record<string, string> {
  const identity = 'uid' in owner && typeof owner.uid === 'string' ? owner : identityOf(owner as KubeObject);
  const labels = ownerContractLabels(identity);
  delete labels[OWNER_UID_LABEL];
  return { ...labels, [labelKey]: identity.uid };
}

/** A stopped container of the scenario named `<prefix>-<suffix>` with these labels. */
async function container(s: ControllerScenario, suffix: string, labels: Record<string, string> = {}): Promise<Made> {
  const id = await s.fixtures.container(suffix, { labels, running: false });
  return { id, name: s.fixtures.name(suffix) };
}

const exists = (s: ControllerScenario, c: Made) => s.fixtures.exists('container', c.id);

async function goneFromDocker(s: ControllerScenario, c: Made): Promise<void> {
  await eventually(`container ${c.name} to be reaped`, async () => !(await exists(s, c)));
}

const item = (sweep: LastSweep, c: Made) => sweep.items.find((i) => i.kind === 'containers' && i.name === c.name);

/** What a policy's sweep of a test's containers must show. */
interface Expected {
  /** How many containers in the policy's scope have a live owner. */
  readonly live: number;
  /** Containers the policy claims but may not judge, and words of the reason it gives. */
  readonly outOfScope: readonly (readonly [Made, string])[];
  /** Orphans in scope, with the owner key they are reaped under (reaped by this sweep, or gone before). */
  readonly orphans?: readonly (readonly [Made, string])[];
}

/**
 * The agent's report once its lastSweep holds a completed sweep of the policy's current generation
 * that saw the test's containers as `expected`, checked in detail, and the policy once its fleet
 * summary has taken that sweep in. A timeout says what the report held last.
 */
async function sweepOf(
  s: ControllerScenario,
  what: string,
  expected: Expected,
): Promise<{ policy: KubeObject; sweep: LastSweep }> {
  const orphans = expected.orphans ?? [];
  const seen = (sweep: LastSweep) => {
    const counts = sweep.counts.containers!;
    return (
      counts.outOfScope === expected.outOfScope.length &&
      expected.outOfScope.every(([c]) => item(sweep, c)?.action === 'OutOfScope') &&
      // Whatever in scope is not live was reaped: an agent whose cache still held a deleted owner
      // would have seen it live, and sweeps again once it learns of the deletion.
      counts.attributable - counts.reaped === expected.live &&
      counts.orphaned === counts.reaped
    );
  };
  let status: unknown;
  let found: { policy: KubeObject; sweep: LastSweep };
  try {
    found = await eventually(`${what} (policy ${s.policyName})`, async () => {
      const policy = await s.policy();
      // One agent per test: its report is the policy's only one.
      const [report] = await s.nodeReports();
      status = report?.status;
      const sweep = report?.status?.lastSweep as (LastSweep & { finishTime?: string }) | undefined;
      const generation = policy.metadata?.generation;
      const current = report?.status?.observedGeneration === generation;
      const summarized =
        policy.status?.observedGeneration === generation && policy.status?.lastSweepTime === sweep?.finishTime;
      return sweep?.outcome === 'Completed' && current && summarized && seen(sweep) ? { policy, sweep } : undefined;
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}; the status held ${JSON.stringify(status)}`);
  }
  const { sweep } = found;
  expect(sweep.counts.containers).toMatchObject({ outOfScope: expected.outOfScope.length, failed: 0, pending: 0 });
  expect(sweep.counts.containers!.reaped).toBeLessThanOrEqual(orphans.length);
  for (const [c, reason] of expected.outOfScope) expect(item(sweep, c)!.reason).toContain(reason);
  for (const [c, ownerKey] of orphans) {
    // Reaped by this sweep, or by one before it (then not in this sweep at all).
    const reaped = item(sweep, c);
    if (reaped) expect(reaped).toMatchObject({ action: 'Reaped', ownerKey });
  }
  return found;
}

/** A spec change: a new generation, so every agent sweeps the policy once more, now. */
async function sweepAgain(s: ControllerScenario): Promise<void> {
  const current = (await s.policy()).spec as { timing?: { interval?: string } };
  await s.patchPolicy({ spec: { timing: { interval: current.timing?.interval === '59m' ? '58m' : '59m' } } });
}

async function deleteAndWait(s: ControllerScenario, plural: 'topologies' | 'sandboxes', owner: KubeObject) {
  const { namespace, name } = owner.metadata! as { namespace: string; name: string };
  await s.deleteOwner(plural, namespace, name);
  await eventually(`${plural} ${namespace}/${name} to be gone`, async () => !(await s.owner(plural, namespace, name)));
}

async function policyEvent(s: ControllerScenario, reason: string, words: string) {
  return eventually(`a ${reason} event on ${s.policyName}`, async () =>
    (await s.policyEvents()).find((e) => e.reason === reason && e.message?.includes(words)),
  );
}

test('two namespace-scoped policies on one label key each reap only their own namespace’s orphan', async () => {
  const agents = uniqueName('scope-ns');
  const a = scenario('scope-ns-a', agents);
  const b = scenario('scope-ns-b', agents);
  const key = a.labelKey; // both policies match it, word for word
  const nsA = await a.namespace('scope-ns-a');
  const nsB = await a.namespace('scope-ns-b');

  const liveA = await a.createTopology(nsA, 'live', 1);
  const goneA = await a.createTopology(nsA, 'gone', 1);
  const liveB = await a.createTopology(nsB, 'live', 1);
  const goneB = await a.createTopology(nsB, 'gone', 1);
  const c = {
    liveA: await container(a, 'live-a', contractLabels(key, liveA)),
    goneA: await container(a, 'gone-a', contractLabels(key, goneA)),
    liveB: await container(a, 'live-b', contractLabels(key, liveB)),
    goneB: await container(a, 'gone-b', contractLabels(key, goneB)),
  };
  await deleteAndWait(a, 'topologies', goneA);
  await deleteAndWait(a, 'topologies', goneB);
  await startAgent('node-scope-ns', a.policySelector);

  // Policy A alone first: it meets namespace b's orphan while that is still there.
  const inB = `its owner is in namespace ${nsB}, which this policy does not see`;
  await a.createPolicy({
    owners: [{ ...TOPOLOGY, namespaces: [nsA] }],
    match: [{ label: key }],
    resources: CONTAINERS_ONLY,
  });
  await sweepOf(a, 'policy A’s sweep', {
    live: 1,
    outOfScope: [
      [c.goneB, inB],
      [c.liveB, inB],
    ],
    orphans: [[c.goneA, goneA.metadata!.uid!]],
  });
  await goneFromDocker(a, c.goneA);
  await policyEvent(a, 'Reaped', 'reaped 1 containers');
  expect(await exists(a, c.goneB)).toBe(true); // an orphan, but not A's to judge
  expect(await exists(a, c.liveA)).toBe(true);
  expect(await exists(a, c.liveB)).toBe(true);

  await b.createPolicy({
    owners: [{ ...TOPOLOGY, namespaces: [nsB] }],
    match: [{ label: key }],
    resources: CONTAINERS_ONLY,
  });
  const second = await sweepOf(b, 'policy B’s sweep', {
    live: 1,
    outOfScope: [[c.liveA, `its owner is in namespace ${nsA}, which this policy does not see`]],
    orphans: [[c.goneB, goneB.metadata!.uid!]],
  });
  await goneFromDocker(a, c.goneB);
  await policyEvent(b, 'Reaped', 'reaped 1 containers');
  expect(await exists(a, c.liveA)).toBe(true);
  expect(await exists(a, c.liveB)).toBe(true);
  // B swept knowing A: they share the label word for word with other owners.
  expect(condition(second.policy, 'ClaimsOverlap')).toMatchObject({ status: 'True', reason: 'SharedMatchRule' });
  expect(condition(second.policy, 'ClaimsOverlap')!.message).toContain(
    `label ${key} is also claimed by policy ${a.policyName}`,
  );

  // A says so at once, without a change of its own: a new policy queues the policies it overlaps.
  await eventually('policy A to say its claims overlap B’s', async () => {
    const overlap = condition(await a.policy(), 'ClaimsOverlap');
    return overlap?.status === 'True' && overlap.message.includes(b.policyName);
  });
  const again = await sweepOf(a, 'policy A’s sweep knowing B', { live: 1, outOfScope: [[c.liveB, inB]] });
  expect(again.sweep.counts.containers).toMatchObject({ attributable: 1, reaped: 0 });
  expect(condition(again.policy, 'ClaimsOverlap')).toMatchObject({ status: 'True', reason: 'SharedMatchRule' });
  expect(condition(again.policy, 'ClaimsOverlap')!.message).toContain(
    `label ${key} is also claimed by policy ${b.policyName}`,
  );
  expect(condition(again.policy, 'Ready')?.status).toBe('True');
  expect((await policyEvent(a, 'ClaimsOverlap', `policy ${b.policyName}`)).type).toBe('Warning');
  expect((await policyEvent(b, 'ClaimsOverlap', `policy ${a.policyName}`)).type).toBe('Warning');
  expect(await exists(a, c.liveA)).toBe(true);
  expect(await exists(a, c.liveB)).toBe(true);
});

test('a Topology-only policy leaves a Sandbox’s container on its label key alone and reaps a deleted Topology’s', async () => {
  const s = scenario('scope-kind');
  const ns = await s.namespace();
  const live = await s.createTopology(ns, 'live', 1);
  const gone = await s.createTopology(ns, 'gone', 1);
  const box = await s.createSandbox(ns, 'box');
  const c = {
    live: await container(s, 'live', contractLabels(s.labelKey, live)),
    gone: await container(s, 'gone', contractLabels(s.labelKey, gone)),
    deletedBox: await container(s, 'deleted-box', contractLabels(s.labelKey, box)),
    neverBox: await container(s, 'never-box', contractLabels(s.labelKey, { ...SANDBOX, uid: randomUUID() })),
  };
  await deleteAndWait(s, 'topologies', gone);
  await deleteAndWait(s, 'sandboxes', box);
  await startAgent('node-scope-kind', s.policySelector);

  await s.createPolicy({ owners: [TOPOLOGY], match: [{ label: s.labelKey }], resources: CONTAINERS_ONLY });
  const sandbox = 'its owner is a Sandbox.reaper.dev, not a kind this policy sees (Topology.reaper.dev)';
  const { policy } = await sweepOf(s, 'the policy’s sweep', {
    live: 1,
    outOfScope: [
      [c.deletedBox, sandbox],
      [c.neverBox, sandbox],
    ],
    orphans: [[c.gone, gone.metadata!.uid!]],
  });
  await goneFromDocker(s, c.gone);
  await policyEvent(s, 'Reaped', 'reaped 1 containers');
  expect(await exists(s, c.live)).toBe(true);
  expect(await exists(s, c.deletedBox)).toBe(true);
  expect(await exists(s, c.neverBox)).toBe(true);
  expect(condition(policy, 'ClaimsOverlap')).toMatchObject({ status: 'False', reason: 'NoOverlap' });
});

test('a policy for a custom owner kind reaps its own orphan and touches no Topology or Sandbox on the same label key', async () => {
  kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], LAB_CRD);
  kubectl(['wait', '--for=condition=Established', '--timeout=60s', `crd/labs.${LAB_GROUP}`]);
  const agents = uniqueName('scope-lab');
  const labs = scenario('scope-lab', agents);
  const platform = scenario('scope-platform', agents);
  const key = labs.labelKey;
  const ns = await labs.namespace();
  const lab = { group: LAB_GROUP, version: LAB_VERSION, plural: 'labs', namespace: ns };
  const createLab = async (name: string) =>
    (await labs.custom.createNamespacedCustomObject({
      ...lab,
      body: { ...LAB, metadata: { name, namespace: ns }, spec: { seats: 3 } },
    })) as KubeObject;

  const owners = {
    liveLab: await createLab('live'),
    goneLab: await createLab('gone'),
    liveTopology: await labs.createTopology(ns, 'live', 1),
    goneTopology: await labs.createTopology(ns, 'gone', 1),
    liveBox: await labs.createSandbox(ns, 'live'),
    goneBox: await labs.createSandbox(ns, 'gone'),
  };
  const c = {
    liveLab: await container(labs, 'live-lab', contractLabels(key, owners.liveLab)),
    goneLab: await container(labs, 'gone-lab', contractLabels(key, owners.goneLab)),
    liveTopology: await container(labs, 'live-topology', contractLabels(key, owners.liveTopology)),
    goneTopology: await container(labs, 'gone-topology', contractLabels(key, owners.goneTopology)),
    liveBox: await container(labs, 'live-box', contractLabels(key, owners.liveBox)),
    goneBox: await container(labs, 'gone-box', contractLabels(key, owners.goneBox)),
  };
  expect(contractLabels(key, owners.liveLab)[OWNER_KIND_LABEL]).toBe(`Lab.${LAB_GROUP}`);
  await labs.custom.deleteNamespacedCustomObject({ ...lab, name: 'gone' });
  await eventually('the Lab to be gone', async () =>
    labs.custom.getNamespacedCustomObject({ ...lab, name: 'gone' }).then(
      () => false,
      () => true,
    ),
  );
  await deleteAndWait(labs, 'topologies', owners.goneTopology);
  await deleteAndWait(labs, 'sandboxes', owners.goneBox);
  await startAgent('node-scope-lab', labs.policySelector);

  // The Lab policy alone first: the deleted Topology's and Sandbox's containers are orphans then,
  // and still nothing of them is its to judge.
  const notLab = (kind: string) => `its owner is a ${kind}, not a kind this policy sees (Lab.${LAB_GROUP})`;
  await labs.createPolicy({ owners: [LAB], match: [{ label: key }], resources: CONTAINERS_ONLY });
  await sweepOf(labs, 'the Lab policy’s sweep', {
    live: 1,
    outOfScope: [
      [c.liveTopology, notLab('Topology.reaper.dev')],
      [c.goneTopology, notLab('Topology.reaper.dev')],
      [c.liveBox, notLab('Sandbox.reaper.dev')],
      [c.goneBox, notLab('Sandbox.reaper.dev')],
    ],
    orphans: [[c.goneLab, owners.goneLab.metadata!.uid!]],
  });
  await goneFromDocker(labs, c.goneLab);
  await policyEvent(labs, 'Reaped', 'reaped 1 containers');
  expect(await exists(labs, c.liveLab)).toBe(true);
  for (const untouched of [c.liveTopology, c.goneTopology, c.liveBox, c.goneBox])
    expect(await exists(labs, untouched)).toBe(true);

  // The Topology+Sandbox policy beside it reaps its own orphans and leaves the Lab's container.
  await platform.createPolicy({ owners: [TOPOLOGY, SANDBOX], match: [{ label: key }], resources: CONTAINERS_ONLY });
  const theirs = await sweepOf(platform, 'the Topology+Sandbox policy’s sweep', {
    live: 2,
    outOfScope: [[c.liveLab, `its owner is a Lab.${LAB_GROUP}, not a kind this policy sees`]],
    orphans: [
      [c.goneTopology, owners.goneTopology.metadata!.uid!],
      [c.goneBox, owners.goneBox.metadata!.uid!],
    ],
  });
  expect(condition(theirs.policy, 'ClaimsOverlap')).toMatchObject({ status: 'True', reason: 'SharedMatchRule' });
  await goneFromDocker(labs, c.goneTopology);
  await goneFromDocker(labs, c.goneBox);
  await policyEvent(platform, 'Reaped', 'containers');

  // Swept again knowing the other policy: still only the Lab's own, and the overlap is said.
  await sweepAgain(labs);
  const again = await sweepOf(labs, 'the Lab policy’s sweep knowing the other', {
    live: 1,
    outOfScope: [
      [c.liveTopology, notLab('Topology.reaper.dev')],
      [c.liveBox, notLab('Sandbox.reaper.dev')],
    ],
  });
  expect(again.sweep.counts.containers).toMatchObject({ attributable: 1, reaped: 0 });
  expect(condition(again.policy, 'ClaimsOverlap')).toMatchObject({ status: 'True', reason: 'SharedMatchRule' });
  expect(await exists(labs, c.liveLab)).toBe(true);
  expect(await exists(labs, c.liveTopology)).toBe(true);
  expect(await exists(labs, c.liveBox)).toBe(true);
});

test('two policies with the same name pattern and other owners reap an unlabelled match by neither, and say so', async () => {
  const agents = uniqueName('scope-name');
  const topologies = scenario('scope-name-t', agents);
  const sandboxes = scenario('scope-name-s', agents);
  const ns = await topologies.namespace('scope-name');
  // The fixtures' prefix is [a-z0-9-] only: nothing in it to escape.
  const nameRegex = `^${topologies.fixtures.prefix}-(?<key>[0-9a-f]{8})_`;
  const match = [{ nameRegex, keyPrefixLength: 8 }];
  const named = (owner: KubeObject, tag: string) => `${owner.metadata!.uid!.slice(0, 8)}_${tag}`;

  // Owners gone before the policies come, and both policies before any matching container: neither
  // sweeps one without knowing of the other.
  const gone = await topologies.createTopology(ns, 'gone', 1);
  const goneLabelled = await topologies.createTopology(ns, 'gone-labelled', 1);
  const live = await topologies.createTopology(ns, 'live', 1);
  await deleteAndWait(topologies, 'topologies', gone);
  await deleteAndWait(topologies, 'topologies', goneLabelled);
  await startAgent('node-scope-name', topologies.policySelector);
  await topologies.createPolicy({ owners: [TOPOLOGY], match, resources: CONTAINERS_ONLY });
  await sandboxes.createPolicy({ owners: [SANDBOX], match, resources: CONTAINERS_ONLY });
  await sweepOf(topologies, 'a first sweep', { live: 0, outOfScope: [] });
  await sweepOf(sandboxes, 'a first sweep', { live: 0, outOfScope: [] });

  const topologyKind = { [OWNER_KIND_LABEL]: 'Topology.reaper.dev' };
  const c = {
    unlabelled: await container(topologies, named(gone, 'n0')),
    labelled: await container(topologies, named(goneLabelled, 'n0'), topologyKind),
    live: await container(topologies, named(live, 'n0'), topologyKind),
  };

  const claimedToo = (rival: ControllerScenario) => `policy ${rival.policyName} claims it too (nameRegex ${nameRegex})`;
  await sweepAgain(topologies);
  const t = await sweepOf(topologies, 'the Topology policy’s sweep', {
    live: 1,
    outOfScope: [[c.unlabelled, claimedToo(sandboxes)]],
    orphans: [[c.labelled, goneLabelled.metadata!.uid!.slice(0, 8)]],
  });
  await goneFromDocker(topologies, c.labelled);
  await policyEvent(topologies, 'Reaped', 'reaped 1 containers');

  await sweepAgain(sandboxes);
  const s = await sweepOf(sandboxes, 'the Sandbox policy’s sweep', {
    live: 0,
    outOfScope: [
      [c.unlabelled, claimedToo(topologies)],
      [c.live, 'its owner is a Topology.reaper.dev, not a kind this policy sees (Sandbox.reaper.dev)'],
    ],
  });
  expect(s.sweep.counts.containers).toMatchObject({ attributable: 0, reaped: 0 });

  expect(await exists(topologies, c.unlabelled)).toBe(true);
  expect(await exists(topologies, c.live)).toBe(true);
  for (const [policy, rival] of [
    [t.policy, sandboxes],
    [s.policy, topologies],
  ] as const) {
    expect(condition(policy, 'ClaimsOverlap')).toMatchObject({ status: 'True', reason: 'SharedMatchRule' });
    expect(condition(policy, 'ClaimsOverlap')!.message).toContain(
      `nameRegex ${nameRegex} is also claimed by policy ${rival.policyName}`,
    );
  }
  expect((await policyEvent(topologies, 'ClaimsOverlap', `policy ${sandboxes.policyName}`)).type).toBe('Warning');
  expect((await policyEvent(sandboxes, 'ClaimsOverlap', `policy ${topologies.policyName}`)).type).toBe('Warning');
});
