// The blast-radius guard in the running controller: deleting the namespace that holds most owners
// blocks the sweep (Blocked, a Warning event, nothing reaped) until an operator approves exactly
// that set with the reaper.dev/approve-sweep annotation.
import type { ControllerProcess } from '../../support/controller-process.js';
import { startController, sweepsOf } from '../../support/controller-process.js';
import { waitFor } from '../kube/helpers.js';
import type { OwnerResources } from './scenario.js';
import { condition, ControllerScenario } from './scenario.js';

const scenario = new ControllerScenario('ctl-mass');
let controller: ControllerProcess;

afterAll(async () => {
  const code = await controller?.stop();
  await scenario.cleanUp();
  expect(code).toBe(0);
});

interface LastSweep {
  outcome: string;
  approvalId?: string;
  counts: Record<string, { orphaned: number; reaped: number }>;
}

const lastSweepOf = (report: { status?: Record<string, unknown> } | undefined) =>
  report?.status?.lastSweep as LastSweep | undefined;
const total = (left: { containers: number; networks: number; leases: number }) =>
  left.containers + left.networks + left.leases;

test('deleting the namespace holding most owners blocks the sweep until the approval annotation releases it', async () => {
  const crowded = await scenario.namespace('ctl-mass-crowded');
  const quiet = await scenario.namespace('ctl-mass-quiet');
  const doomed: OwnerResources[] = [];
  for (let i = 0; i < 4; i++) {
    const owner = await scenario.createTopology(crowded, `lab${i}`, 1);
    doomed.push(await scenario.materialize(`crowded-${i}`, owner, { containers: 1 }));
  }
  const survivorOwner = await scenario.createTopology(quiet, 'survivor', 1);
  const survivor = await scenario.materialize('survivor', survivorOwner, { containers: 1 });
  await scenario.createPolicy({ limits: { maxOrphanPercent: 50 } });
  controller = await startController({
    nodeName: 'node-mass',
    policySelector: scenario.policySelector,
    args: ['--trigger-delay', '2s'],
  });
  await waitFor('a first, clean sweep', () =>
    sweepsOf(controller, scenario.policyName).some((s) => s.outcome === 'Completed'),
  );

  await scenario.core.deleteNamespace({ name: crowded });
  // 4 of 5 owners gone: 12 of 15 attributable resources are orphans (80% > 50%).
  const blockedReport = await waitFor(
    'the sweep to be blocked on all twelve orphans',
    async () => {
      const report = await scenario.nodeReport('node-mass');
      const last = lastSweepOf(report);
      const orphaned = last ? Object.values(last.counts).reduce((n, c) => n + c.orphaned, 0) : 0;
      return last?.outcome === 'Blocked' && orphaned === 12 ? report : undefined;
    },
    60_000,
  );
  const approvalId = lastSweepOf(blockedReport)!.approvalId!;
  expect(approvalId).toMatch(/^b-[0-9a-f]{12}$/);
  // The fleet summary names the blocked node and the id that releases its set.
  const blocked = await waitFor('the policy to say it is blocked', async () => {
    const policy = await scenario.policy();
    return condition(policy, 'Blocked')?.status === 'True' ? policy : undefined;
  });
  expect(condition(blocked, 'Blocked')).toMatchObject({ status: 'True', reason: 'TooManyOrphans' });
  expect(blocked.status?.fleet).toMatchObject({
    nodes: 1,
    blocked: 1,
    problems: [{ node: 'node-mass', reason: 'Blocked' }],
  });
  expect(condition(blocked, 'Blocked')!.message).toContain(`reaper.dev/approve-sweep=${approvalId}`);
  expect(condition(blocked, 'Ready')).toMatchObject({ status: 'False', reason: 'Blocked' });
  for (const resources of doomed) expect(total(await scenario.remaining(resources))).toBe(3);

  const warning = await waitFor('a SweepBlocked event', async () =>
    (await scenario.policyEvents()).find((e) => e.reason === 'SweepBlocked'),
  );
  expect(warning.type).toBe('Warning');
  expect(warning.message).toContain(approvalId);

  // Nothing is reaped while blocked, however often it sweeps.
  await scenario.patchPolicy({ spec: { timing: { interval: '1s' } } });
  const sweepsBefore = sweepsOf(controller, scenario.policyName).length;
  await waitFor('two more sweeps', () => sweepsOf(controller, scenario.policyName).length >= sweepsBefore + 2, 30_000);
  for (const resources of doomed) expect(total(await scenario.remaining(resources))).toBe(3);
  const stillBlocked = await scenario.nodeReport('node-mass');
  // The set did not change, so neither did the id that approves it.
  expect(lastSweepOf(stillBlocked)?.approvalId).toBe(approvalId);

  await scenario.patchPolicy({ metadata: { annotations: { 'reaper.dev/approve-sweep': approvalId } } });
  await waitFor(
    'the approved orphans to be reaped',
    async () => {
      for (const resources of doomed) if (total(await scenario.remaining(resources)) > 0) return undefined;
      return true;
    },
    30_000,
  );
  expect(total(await scenario.remaining(survivor))).toBe(3);
  const released = await waitFor('Blocked to clear', async () => {
    const policy = await scenario.policy();
    return condition(policy, 'Blocked')?.status === 'False' && condition(policy, 'Ready')?.status === 'True'
      ? policy
      : undefined;
  });
  expect(condition(released, 'Ready')?.status).toBe('True');
  expect((released.status?.totals as { reaped?: number } | undefined)?.reaped).toBe(12);
});
