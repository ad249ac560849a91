// `reaper run` follows Docker's events (design §3, "The runtime from events"): listed once at start,
// then a steady idle minute of sweeps and owner resyncs makes no Docker listing at all (counted by
// the agent's own runtime view, read from /metrics), and an owner's deletion reaps what it held
// without another listing, soon after the deletion.
import type { ControllerProcess } from '../../support/controller-process.js';
import { startController, sweepsOf } from '../../support/controller-process.js';
import { eventually } from '../../support/eventually.js';
import { metricValue } from '../../support/private-scenario.js';
import { ControllerScenario } from '../../support/scenario.js';

const IDLE_MS = 60_000;
const LISTINGS = ['listContainers', 'listNetworks', 'listVolumes'];

const scenario = new ControllerScenario('ctl-events');
let controller: ControllerProcess;
let namespace: string;

beforeAll(async () => {
  namespace = await scenario.namespace();
  await scenario.createPolicy({ timing: { minAge: '0', gracePeriod: '0', interval: '5s' } });
  controller = await startController({
    nodeName: 'node-events',
    policySelector: scenario.policySelector,
    args: ['--owner-resync', '2s'],
  });
});

afterAll(async () => {
  const code = await controller?.stop();
  await scenario.cleanUp();
  expect(code).toBe(0);
});

async function viewCalls(): Promise<Record<string, number>> {
  const text = (await controller.get('/metrics')).body;
  const calls: Record<string, number> = {};
  for (const call of [...LISTINGS, 'inspectContainer', 'subscribe'])
    calls[call] = metricValue(text, 'reaper_runtime_view_docker_calls_total', { call }) ?? 0;
  calls.readable = metricValue(text, 'reaper_runtime_view_readable') ?? -1;
  calls.sweeps = metricValue(text, 'reaper_sweeps_total', { policy: scenario.policyName, outcome: 'Completed' }) ?? 0;
  return calls;
}

test(
  'a steady idle minute makes no Docker listing; an owner deletion reaps without one, soon after',
  async () => {
    const owner = await scenario.createTopology(namespace, 'lab');
    const resources = await scenario.materialize('lab', owner);
    await eventually(
      'a first completed sweep',
      () => sweepsOf(controller, scenario.policyName).length > 0 || undefined,
    );
    const start = await viewCalls();
    expect(start).toMatchObject({ listContainers: 1, listNetworks: 1, listVolumes: 1, subscribe: 1, readable: 1 });

    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idle = await viewCalls();
    // Sweeps every 5 s and the owner resync every 2 s read the view all along; the engine was listed
    // only at start. (Other test files share this engine: their events cost inspects, never a listing.)
    expect(idle.sweeps! - start.sweeps!).toBeGreaterThanOrEqual(8);
    for (const call of LISTINGS) expect({ call, count: idle[call] }).toEqual({ call, count: 1 });
    expect(idle.subscribe).toBe(1);
    expect(idle.readable).toBe(1);

    const deletedAt = Date.now();
    await scenario.deleteOwner('topologies', namespace, 'lab');
    await eventually(
      'the deleted Topology to be reaped',
      async () => {
        const left = await scenario.remaining(resources);
        return left.containers + left.networks + left.leases === 0 || undefined;
      },
      20_000,
    );
    const reactionMs = Date.now() - deletedAt;
    // Two stopped containers, their leases and the network: a second or two on a loaded CI host.
    expect(reactionMs).toBeLessThan(5_000);
    const after = await viewCalls();
    for (const call of LISTINGS) expect({ call, count: after[call] }).toEqual({ call, count: 1 });
  },
  IDLE_MS + 120_000,
);
