// A running `reaper run` fed bad policies stays responsive: /healthz answers, a good policy keeps
// sweeping and reaping, and each bad policy is reported not Ready with the field at fault. Policies
// admission refuses (bad durations, non-RE2 or oversized patterns, huge label keys, a zero interval)
// reach the controller only when stored under an older schema or restored from a backup: the test
// stores them that way, straight into etcd. Catastrophic-backtracking patterns are valid RE2 and
// are admitted: they must sweep in linear time against names up to Docker's (no) limit.
import { randomUUID } from 'node:crypto';
import type { ControllerProcess } from '../../../support/controller-process.js';
import { startController, sweepsOf } from '../../../support/controller-process.js';
import { uniqueName } from '../../../support/engines.js';
import type { KubeObject } from '../../../support/scenario.js';
import { apiVersion, condition, ControllerScenario, group, version } from '../../../support/scenario.js';
import { eventually } from '../../../support/eventually.js';
import { rewriteStored } from './etcd.js';

const scenario = new ControllerScenario('bad-pol');
const extraPolicies: string[] = [];
let controller: ControllerProcess;
/** Every /healthz answer while the tests ran. */
const health: number[] = [];
let probing: NodeJS.Timeout | undefined;

beforeAll(async () => {
  await scenario.namespace();
  await scenario.createPolicy({ timing: { minAge: '0', gracePeriod: '0', interval: '2s' } });
  controller = await startController({
    nodeName: 'node-bad-pol',
    policySelector: scenario.policySelector,
    args: ['--trigger-delay', '1s', '--owner-resync', '2s'],
  });
  probing = setInterval(() => {
    controller
      .get('/healthz')
      .then((r) => health.push(r.status))
      .catch(() => health.push(0));
  }, 500);
}, 120_000);

afterAll(async () => {
  clearInterval(probing);
  const code = await controller?.stop();
  for (const name of extraPolicies) {
    await scenario.custom
      .deleteClusterCustomObject({ group, version, plural: 'reappolicies', name })
      .catch(() => undefined);
  }
  await scenario.cleanUp();
  expect(code).toBe(0);
}, 120_000);

/** A valid DryRun policy of this test's own (it can delete nothing), to be made bad afterwards. */
async function createPolicy(name: string, spec: Record<string, unknown>): Promise<KubeObject> {
  extraPolicies.push(name);
  return (await scenario.custom.createClusterCustomObject({
    group,
    version,
    plural: 'reappolicies',
    body: {
      apiVersion,
      kind: 'ReapPolicy',
      // In this test's agent set: its agent is the one that must report them.
      metadata: { name, labels: scenario.agentLabels },
      spec: {
        mode: 'DryRun',
        owners: [{ apiVersion, kind: 'Topology' }],
        match: [{ label: `${name}.test/owner-uid` }],
        timing: { interval: '1h' },
        ...spec,
      },
    },
  })) as KubeObject;
}

async function getPolicy(name: string): Promise<KubeObject> {
  return (await scenario.custom.getClusterCustomObject({ group, version, plural: 'reappolicies', name })) as KubeObject;
}

/**
 * The good policy is still swept by this controller on its interval, and an orphan made now is
 * reaped (by this agent or another one on the shared host: any may take it).
 */
async function goodPolicyKeepsSweeping(tag: string): Promise<void> {
  const before = sweepsOf(controller, scenario.policyName).length;
  const orphan = await scenario.materialize(tag, randomUUID(), { containers: 1 });
  await eventually(
    `the good policy to reap ${tag}`,
    async () => {
      const left = await scenario.remaining(orphan);
      return left.containers + left.networks + left.leases === 0 || undefined;
    },
    120_000,
  );
  await eventually(
    'two more sweeps of the good policy by this controller',
    () => sweepsOf(controller, scenario.policyName).length >= before + 2 || undefined,
    120_000,
  );
  const latest = sweepsOf(controller, scenario.policyName).slice(before);
  expect(latest.map((l) => l.outcome)).toEqual(latest.map(() => 'Completed'));
}

function expectResponsive(): void {
  expect(health.length).toBeGreaterThan(0);
  expect(health.filter((status) => status !== 200)).toEqual([]);
  expect(controller.otherOutput).toEqual([]);
}

interface StoredAnyway {
  case: string;
  change: (spec: Record<string, unknown>) => void;
  path: string;
  /**
   * The API server refuses every write to such an object, status included: the CRD's CEL rule
   * errors on the value (a duration past Go's range, a pattern RE2 cannot parse) rather than
   * returning false, and errors are not ratcheted like unchanged invalid values are.
   */
  statusRefused?: true;
}

const storedAnyway: StoredAnyway[] = [
  {
    case: 'a duration with an unknown unit',
    change: (spec) => ((spec.timing as Record<string, unknown>).minAge = '5x'),
    path: 'spec.timing.minAge',
  },
  {
    case: 'a duration beyond any clock',
    change: (spec) => ((spec.timing as Record<string, unknown>).gracePeriod = `${'9'.repeat(400)}h`),
    path: 'spec.timing.gracePeriod',
    statusRefused: true,
  },
  {
    case: 'a zero interval (a busy loop if obeyed)',
    change: (spec) => ((spec.timing as Record<string, unknown>).interval = '0s'),
    path: 'spec.timing.interval',
  },
  {
    case: 'a pattern RE2 cannot run (lookahead)',
    change: (spec) => (spec.match = [{ nameRegex: '^(?=lab)(?<key>.*)$' }]),
    path: 'spec.match[0].nameRegex',
    statusRefused: true,
  },
  {
    case: 'a pattern without a key group',
    change: (spec) => (spec.match = [{ nameRegex: '^lab_t_([0-9a-f]{8})_' }]),
    path: 'spec.match[0].nameRegex',
  },
  {
    case: 'a 10 KB catastrophic pattern',
    change: (spec) => (spec.match = [{ nameRegex: `^(?<key>${'(a+)+'.repeat(2000)})$` }]),
    path: 'spec.match[0].nameRegex',
  },
  {
    case: 'a 10 KB label key',
    change: (spec) => (spec.match = [{ label: `${'x'.repeat(10 * 1024)}.test/owner-uid` }]),
    path: 'spec.match[0].label',
  },
];

test('policies admission would refuse, stored anyway: each is not Ready with the field at fault; the controller stays responsive', async () => {
  await eventually(
    'a first sweep of the good policy',
    () => sweepsOf(controller, scenario.policyName).length > 0 || undefined,
    120_000,
  );
  const bad = await Promise.all(
    storedAnyway.map(async (c) => {
      const name = uniqueName('bad-stored');
      await createPolicy(name, {});
      let generation = 0;
      await rewriteStored(group, 'reappolicies', name, (object) => {
        c.change(object.spec as Record<string, unknown>);
        generation = Number(object.metadata.generation) + 1;
        object.metadata.generation = generation;
      });
      return { ...c, name, generation };
    }),
  );
  // The API server now serves them as stored: admission never saw these specs.
  expect(JSON.stringify((await getPolicy(bad[0]!.name)).spec)).toContain('"minAge":"5x"');

  // Every one is reported: a Warning event naming the field at fault...
  for (const b of bad) {
    await eventually(
      `${b.case}: a Warning event`,
      async () => {
        const events = await scenario.core.listEventForAllNamespaces({
          fieldSelector: `involvedObject.kind=ReapPolicy,involvedObject.name=${b.name},reason=InvalidSpec`,
        });
        return events.items.some((e) => e.type === 'Warning' && e.message?.includes(b.path)) || undefined;
      },
      120_000,
    );
  }
  // ...and Ready False at the new generation, wherever the API server lets status be written.
  for (const b of bad.filter((b) => !b.statusRefused)) {
    const ready = await eventually(
      `${b.case}: Ready False`,
      async () => {
        const ready = condition(await getPolicy(b.name), 'Ready');
        return ready?.observedGeneration === b.generation && ready.status === 'False' ? ready : undefined;
      },
      120_000,
    );
    expect({ case: b.case, reason: ready.reason }).toEqual({ case: b.case, reason: 'InvalidSpec' });
    expect(ready.message).toMatch(/^nothing is swept: /);
    expect(ready.message).toContain(b.path);
    expect(ready.message.length).toBeLessThan(32 * 1024); // a 10 KB input is not echoed whole, or twice
  }
  for (const b of bad.filter((b) => b.statusRefused)) {
    // The controller logs why it cannot write status, and the stale status never reads as current:
    // its observedGeneration is the old one.
    await controller.waitForLog(
      `${b.case}: the refused status logged`,
      (l) => l.msg === 'the API server refuses any status for this invalid policy' && l.policy === b.name,
      120_000,
    );
    const stale = condition(await getPolicy(b.name), 'Ready');
    expect(stale?.observedGeneration ?? 0).toBeLessThan(b.generation);
  }

  // This agent (other agents on the shared API server see these policies too) found each invalid.
  for (const b of bad) {
    await controller.waitForLog(
      `${b.case}: this controller's verdict`,
      (l) => l.msg === 'policy is invalid; nothing is swept' && l.policy === b.name,
      120_000,
    );
  }
  await goodPolicyKeepsSweeping('after-bad');
  expectResponsive();
}, 600_000);

test('catastrophic-backtracking patterns against names up to 5000 characters, under a 253-character policy name: swept, linear, only the well-formed key attributed', async () => {
  const prefix = scenario.fixtures.name('re');
  const name = uniqueName('bad-regex');
  const longName = `${name}-${'x'.repeat(253 - name.length - 1)}`;
  expect(longName).toHaveLength(253);
  await createPolicy(longName, {
    // Keyed by name: a run of a's is a name an owner could have, not a uid (which would be foreign).
    owners: [{ apiVersion, kind: 'Topology', key: 'name' }],
    // (a+)+$ and (.*a){n} take exponential time in a backtracking engine on a run of a's that fails at the end.
    match: [{ nameRegex: `^${prefix}-(?<key>(a+)+)$` }, { nameRegex: `^${prefix}-x(?<key>(.*a){20})$` }],
    timing: { minAge: '0', gracePeriod: '0', interval: '2s' },
    limits: { maxOrphanPercent: 100 },
  });
  const make = (suffix: string) => scenario.fixtures.container(`re-${suffix}`, { running: false });
  const attributed = await make('a'.repeat(100)); // key of 100 a's: well-formed, no live owner
  for (const suffix of [
    `${'a'.repeat(40)}b`,
    `x${'a'.repeat(40)}b`,
    'a'.repeat(300), // a 300-character key: not a key
    `${'a'.repeat(5000)}b`, // longer than any name a rule matches
    `x${'a'.repeat(5000)}`,
  ])
    await make(suffix);

  const policy = await eventually(
    'a dry-run sweep of the pattern policy that saw the containers',
    async () => {
      const p = await getPolicy(longName);
      const nodeReport = await scenario.nodeReport('node-bad-pol', longName);
      const counts = (nodeReport?.status?.lastSweep as { counts?: { containers?: { scanned?: number } } } | undefined)
        ?.counts;
      return condition(p, 'Ready')?.status === 'True' && (counts?.containers?.scanned ?? 0) > 0 ? p : undefined;
    },
    300_000,
  );
  // The sweep after the containers existed: a later one than the first the policy ran.
  const report = await eventually(
    'a report naming the attributed container',
    async () => {
      const r = (await scenario.nodeReport('node-bad-pol', longName))?.status?.lastSweep as {
        counts: { containers: { attributable: number; orphaned: number } };
        items: { id: string; action: string; ownerKey?: string }[];
      };
      return r?.items.some((i) => i.id === attributed) ? r : undefined;
    },
    300_000,
  );
  expect(condition(policy, 'Ready')).toMatchObject({ status: 'True', reason: 'DryRunCompleted' });
  expect(report.counts.containers).toMatchObject({ attributable: 1, orphaned: 1 });
  expect(report.items).toEqual([
    expect.objectContaining({ id: attributed, action: 'WouldReap', ownerKey: 'a'.repeat(100) }),
  ]);
  // Nothing was removed (DryRun), and the good policy goes on.
  expect(await scenario.fixtures.exists('container', attributed)).toBe(true);
  await goodPolicyKeepsSweeping('after-regex');
  expectResponsive();
}, 600_000);
