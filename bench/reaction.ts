// `reaction`: with 1,000 live owners and `reaper run` running, the time from deleting an owner to
// all its resources being gone (its containers stopped and removed, their IP leases released, its
// network removed), over at least 50 deletions, one at a time with a random pause between them.
//
// The controller runs against a Kubernetes of the benchmarks' own (see BENCH_KUBE_DIR) and the
// shared Docker engine; its policy attributes only through this run's label key, and no other
// controller sees the policy, so nothing else reaps (or races to reap) what this run made.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { parsePolicy } from '../src/api/parse-policy.js';
import type { Policy } from '../src/core/policy.js';
import { allocateLease } from '../examples/deployer/materialize.js';
import { eventually } from '../test/support/eventually.js';
import { onCleanup } from './lib/cleanup.js';
import type { ControllerProcess } from '../test/support/controller-process.js';
import { sweepsOf } from '../test/support/controller-process.js';
import type { ProcSample } from './lib/controller.js';
import {
  bundleController,
  describeImageAgent,
  imageNode,
  metricsOf,
  procSample,
  settle,
  startBuiltController,
  sumOf,
} from './lib/controller.js';
import { DockerEvents } from './lib/docker-events.js';
import { BenchObjects } from './lib/docker-objects.js';
import type { Owner } from './lib/kube.js';
import { API_VERSION, BenchCluster } from './lib/kube.js';
import type { BenchReport, Target } from './lib/report.js';
import { table } from './lib/report.js';
import { fmtMs, median, percentile } from './lib/stats.js';
import { profileSweep } from './lib/sweep-profile.js';
import { requiredEnv } from '../test/support/engines.js';

const LIVE_OWNERS = 1000;
const DEFAULT_DELETIONS = 60;
const MIN_DELETIONS = 50;
const DELETION_TIMEOUT_MS = 30_000;
const TARGET_P50_MS = 500;
const TARGET_P99_MS = 1500;
/** A shell that exits at once on SIGTERM, as a well-behaved workload does. */
const WORKLOAD = ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'];

interface Victim {
  readonly owner: Owner;
  readonly containerIds: string[];
  readonly networkId: string;
  /** Lease files in the store. */
  readonly leases: string[];
}

interface Sample {
  readonly totalMs: number;
  /** To the first stop of one of its containers: the trigger delay, listing, planning, re-check. */
  readonly firstStopMs: number;
  readonly containersMs: number;
  readonly leasesMs: number;
  readonly networkMs: number;
}

export async function runReaction(options: { runs?: number } = {}): Promise<BenchReport> {
  const deletions = Math.max(MIN_DELETIONS, options.runs ?? DEFAULT_DELETIONS);
  const image = requiredEnv('REAPER_TEST_IMAGE');
  const cniPath = requiredEnv('CNI_PATH');
  const objects = new BenchObjects('reaction');
  const cluster = new BenchCluster();
  const namespace = objects.prefix;
  const policyName = objects.prefix;
  const cniDir = mkdtempSync(path.join(tmpdir(), 'reaper-bench-reaction-cni-'));
  const cniNetwork = `${objects.prefix}-cni`;
  let controller: ControllerProcess | undefined;
  let build: Awaited<ReturnType<typeof bundleController>> | undefined;
  let runtime: ReturnType<typeof imageNode> | undefined;
  let events: DockerEvents | undefined;
  const cleanUp = onCleanup(async () => {
    events?.close();
    await controller?.stop().catch((err: Error) => console.error(err.message));
    build?.remove();
    await cluster.deletePolicy(policyName);
    await cluster.deleteNamespace(namespace);
    await objects.cleanUp();
    rmSync(cniDir, { recursive: true, force: true });
  });

  try {
    console.error('reaction: bundling the controller');
    build = await bundleController();
    runtime = imageNode();
    console.error(`reaction: creating ${LIVE_OWNERS} owners`);
    await cluster.createNamespace(namespace);
    const owners = await cluster.createOwners(namespace, 'lab', LIVE_OWNERS, () => 'Topology');
    const victimOwners = owners.slice(0, deletions);
    const others = owners.slice(deletions);
    const s0 = performance.now();
    console.error(
      `reaction: materializing ${victimOwners.length} owners fully and ${others.length} as stopped containers`,
    );
    const victims = await materializeVictims(objects, victimOwners, image, cniDir, cniPath, cniNetwork);
    await materializeOthers(objects, others, image);
    const setupMs = performance.now() - s0;

    const spec = {
      owners: [
        { apiVersion: API_VERSION, kind: 'Topology', namespaces: [namespace] },
        { apiVersion: API_VERSION, kind: 'Sandbox', namespaces: [namespace] },
      ],
      match: [{ label: objects.label }],
      resources: { ipLeases: { enabled: true, cniDir, networks: [cniNetwork] } },
      timing: { minAge: '0', gracePeriod: '0' },
    };
    await cluster.createPolicy(policyName, spec);
    controller = await startBuiltController(build.main, 'bench-reaction', [], runtime);
    await controller.waitForLog(
      'the first sweep',
      (l) => l.msg === 'sweep finished' && l.policy === policyName,
      180_000,
    );
    const settleMs = await settle(controller.pid, 2000, 120_000);
    const firstSweep = controller.logs.find((l) => l.msg === 'sweep finished' && l.policy === policyName)!;
    if (firstSweep.outcome !== 'Completed') {
      throw new Error(`the first sweep did not complete: ${JSON.stringify(firstSweep)}`);
    }

    events = await DockerEvents.open(objects.docker);
    const before = await metricsOf(controller);
    const sweepsBefore = sweepsOf(controller, policyName).length;
    const cpuBefore = procSample(controller.pid);
    const samples: Sample[] = [];
    const failures: string[] = [];
    for (const [i, victim] of victims.entries()) {
      await sleep(500 + Math.random() * 1000);
      const t0 = performance.now();
      const since = (p: Promise<void>) => p.then(() => performance.now() - t0);
      const containers = Promise.all(victim.containerIds.map((id) => events!.gone(id))).then(() => undefined);
      const network = events.gone(victim.networkId);
      await cluster.deleteOwner(victim.owner);
      // Polled every 10 ms, so the time measured is the lease's; the race below gives up first.
      const leases = eventually('the leases released', () => victim.leases.every((file) => !existsSync(file)), {
        timeoutMs: DELETION_TIMEOUT_MS + 1_000,
        intervalMs: 10,
      }).then(() => undefined);
      const all = Promise.all([since(containers), since(leases), since(network)]);
      const outcome = await Promise.race([all, sleep(DELETION_TIMEOUT_MS).then(() => 'timeout' as const)]);
      if (outcome === 'timeout') {
        failures.push(`${victim.owner.name}: not all gone after ${DELETION_TIMEOUT_MS / 1000} s`);
        samples.push({
          totalMs: DELETION_TIMEOUT_MS,
          firstStopMs: NaN,
          containersMs: NaN,
          leasesMs: NaN,
          networkMs: NaN,
        });
      } else {
        const [containersMs, leasesMs, networkMs] = outcome;
        const kills = victim.containerIds.map((id) => events!.killedAt(id) ?? NaN);
        samples.push({
          totalMs: Math.max(containersMs, leasesMs, networkMs),
          firstStopMs: Math.min(...kills) - t0,
          containersMs,
          leasesMs,
          networkMs,
        });
      }
      console.error(
        `reaction ${i + 1}/${victims.length}: ${victim.owner.name} gone in ${fmtMs(samples.at(-1)!.totalMs)}`,
      );
    }
    const cpuAfter = procSample(controller.pid);
    console.error('reaction: profiling the steps of a sweep before its first removal');
    const profile = await profileSweep(parsedPolicy(policyName, spec), cluster.kc);
    // The live owners' containers must all still be there: a reaper that is fast because it reaps
    // the wrong things is not fast.
    const liveUids = new Set(others.map((o) => o.uid));
    const survivors = (await objects.docker.listContainers({ all: true, filters: { label: [objects.label] } })).filter(
      (c) => liveUids.has(c.Labels[objects.label] ?? ''),
    ).length;
    const expectedSurvivors = others.length * 2;
    const after = await metricsOf(controller);
    const sweeps = sweepsOf(controller, policyName).length - sweepsBefore;
    const sweepSeconds =
      sumOf(after, 'reaper_sweep_duration_seconds_sum') - sumOf(before, 'reaper_sweep_duration_seconds_sum');
    const sweepCount =
      sumOf(after, 'reaper_sweep_duration_seconds_count') - sumOf(before, 'reaper_sweep_duration_seconds_count');

    return report({
      samples,
      failures,
      deletions,
      setupMs,
      settleMs,
      sweeps,
      meanSweepMs: sweepCount > 0 ? (sweepSeconds / sweepCount) * 1000 : NaN,
      cpu: [cpuBefore, cpuAfter],
      otherContainers: expectedSurvivors,
      survivors,
      profile,
      node: runtime,
    });
  } finally {
    await cleanUp();
  }
}

function report(r: {
  samples: Sample[];
  failures: string[];
  deletions: number;
  setupMs: number;
  settleMs: number;
  sweeps: number;
  meanSweepMs: number;
  cpu: [ProcSample, ProcSample];
  otherContainers: number;
  survivors: number;
  profile: [string, number][];
  node: ReturnType<typeof imageNode>;
}): BenchReport {
  const totals = r.samples.map((s) => s.totalMs);
  const p50 = percentile(totals, 50);
  const p90 = percentile(totals, 90);
  const p99 = percentile(totals, 99);
  const ok = r.samples.filter((s) => Number.isFinite(s.containersMs));
  const part = (f: (s: Sample) => number) => fmtMs(median(ok.map(f)));
  const cpuShare = (r.cpu[1].cpuSeconds - r.cpu[0].cpuSeconds) / ((r.cpu[1].at - r.cpu[0].at) / 1000);
  const limits =
    `each deletion waits out the controller's trigger delay (50 ms while the agent's view of Docker, followed ` +
    `through its events, is readable; 500 ms otherwise), then a sweep of the followed view runs: mean sweep ` +
    `${fmtMs(r.meanSweepMs)} (reaper_sweep_duration_seconds). Median from the deletion to the first container's ` +
    `stop (trigger delay, reading the view and the leases, planning, reading the deleted owner again from the API ` +
    `server): ` +
    `${part((s) => s.firstStopMs)}; to both containers stopped and removed ${part((s) => s.containersMs)}, leases ` +
    `released ${part((s) => s.leasesMs)}, network removed ${part((s) => s.networkMs)}. ${profileLine(r.profile)}`;
  const safe = r.survivors === r.otherContainers;
  const targets: Target[] = [
    { what: `p50 at most ${fmtMs(TARGET_P50_MS)}`, measured: fmtMs(p50), met: p50 <= TARGET_P50_MS, limits },
    { what: `p99 at most ${fmtMs(TARGET_P99_MS)}`, measured: fmtMs(p99), met: p99 <= TARGET_P99_MS, limits },
    {
      what: "every live owner's containers kept",
      measured: `${r.survivors} of ${r.otherContainers} left after the deletions`,
      met: safe,
      limits: 'reaper removed containers of live owners: a correctness bug, whatever the timings say',
    },
  ];
  return {
    setup: [
      `${LIVE_OWNERS} live Topology owners in a Kubernetes of the benchmarks' own; ${r.deletions} of them materialized ` +
        `fully (a bridge network, 2 running containers that exit on SIGTERM, 2 host-local IP leases), the other ` +
        `${LIVE_OWNERS - r.deletions} as 2 stopped (created) containers each (${r.otherContainers} containers): ` +
        `thousands of running containers would not fit the machine beside everyone else's work`,
      `policy: minAge 0, gracePeriod 0, leases enabled, the rest defaults (interval 5m, trigger delay 500 ms, ` +
        `stopTimeoutSeconds 10); ${describeImageAgent(r.node)}`,
      `deletions one at a time, each after a random 0.5–1.5 s pause; "gone" is Docker's destroy event for each ` +
        `container and the network, and the lease files no longer in the store`,
      `setup (owners, Docker objects) took ${fmtMs(r.setupMs)}; the controller settled ${fmtMs(r.settleMs)} after ` +
        `its first sweep`,
    ],
    sections: [
      table(
        ['deletions', 'p50', 'p90', 'p99', 'max', 'min', 'sweeps', 'mean sweep', 'controller CPU'],
        [
          [
            String(r.samples.length),
            fmtMs(p50),
            fmtMs(p90),
            fmtMs(p99),
            fmtMs(Math.max(...totals)),
            fmtMs(Math.min(...totals)),
            String(r.sweeps),
            fmtMs(r.meanSweepMs),
            `${(cpuShare * 100).toFixed(0)}% of a core`,
          ],
        ],
      ),
      `Median time from the deletion to: the first container's stop ${part((s) => s.firstStopMs)}, containers gone ` +
        `${part((s) => s.containersMs)}, leases released ${part((s) => s.leasesMs)}, network gone ` +
        `${part((s) => s.networkMs)}.`,
      profileLine(r.profile),
      `Individual deletions (ms, in order): ${totals.map((t) => t.toFixed(0)).join(', ')}.`,
      ...(r.failures.length > 0 ? [`Not reaped in time: ${r.failures.join('; ')}.`] : []),
    ],
    targets,
  };
}

function profileLine(profile: [string, number][]): string {
  return (
    `Steps of a sweep before its first removal, median of 5 run in the benchmark's process against the same ` +
    `engine, cluster and policy: ${profile.map(([step, ms]) => `${step} ${fmtMs(ms)}`).join(', ')} (the controller ` +
    `takes its owners from informer caches, and its fresh re-check reads the one owner it saw deleted rather than ` +
    `listing them like this).`
  );
}

function parsedPolicy(name: string, spec: Record<string, unknown>): Policy {
  const parsed = parsePolicy({ apiVersion: API_VERSION, kind: 'ReapPolicy', metadata: { name }, spec });
  if (!parsed.ok) throw new Error(`bench policy invalid: ${JSON.stringify(parsed.problems)}`);
  return parsed.policy;
}

async function materializeVictims(
  objects: BenchObjects,
  owners: Owner[],
  image: string,
  cniDir: string,
  cniPath: string,
  cniNetwork: string,
): Promise<Victim[]> {
  const docker = objects.docker;
  const limit = pLimit(4);
  const second = 64 + Math.floor(Math.random() * 128);
  return Promise.all(
    owners.map((owner, i) =>
      limit(async (): Promise<Victim> => {
        const labels = objects.labelsFor(owner.uid, owner);
        const netName = `${objects.prefix}-${owner.name}`;
        // Explicit /26 subnets: Docker's default pools hold only about 30 networks.
        const subnet = `10.${second}.${Math.floor(i / 4)}.${(i % 4) * 64}/26`;
        const network = await objects.create(() =>
          docker.createNetwork({ Name: netName, Labels: labels, IPAM: { Config: [{ Subnet: subnet }] } }),
        );
        const containerIds: string[] = [];
        const leases: string[] = [];
        for (const node of ['n0', 'n1']) {
          const container = await objects.create(() =>
            docker.createContainer({
              name: `${netName}-${node}`,
              Image: image,
              Cmd: WORKLOAD,
              Labels: labels,
              HostConfig: { NetworkMode: netName },
            }),
          );
          await container.start();
          containerIds.push(container.id);
          const lease = await allocateLease(cniDir, cniPath, cniNetwork, container.id);
          leases.push(path.join(cniDir, lease));
        }
        return { owner, containerIds, networkId: network.id, leases };
      }),
    ),
  );
}

async function materializeOthers(objects: BenchObjects, owners: Owner[], image: string): Promise<void> {
  const limit = pLimit(8);
  await Promise.all(
    owners.flatMap((owner) =>
      ['n0', 'n1'].map((node) =>
        limit(() =>
          objects.create(() =>
            objects.docker.createContainer({
              name: `${objects.prefix}-${owner.name}-${node}`,
              Image: image,
              Cmd: WORKLOAD,
              Labels: objects.labelsFor(owner.uid, owner),
              HostConfig: { NetworkMode: 'none' },
            }),
          ),
        ),
      ),
    ),
  );
}
