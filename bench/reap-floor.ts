// `reap-floor`: 1,000 orphaned stopped (created, never started) containers and 100 networks on the real Docker engine, reaped
// three ways, each on a freshly created lab (creation is not timed):
// - reaper: runSweep as `reaper sweep` runs it (owners listed from the cluster, the runtime snapshot,
//   planReap, the fresh owner re-check, the executor), with the policy's concurrency;
// - floor: the same removals issued straight to the Docker API with p-limit at that concurrency,
//   the ids known beforehand, no listing, no planning;
// - naive: what users run today: list, inspect each, remove one at a time.
// The order of the three rotates from round to round so that drift on a shared machine spreads.
import * as k8s from '@kubernetes/client-node';
import type Docker from 'dockerode';
import pLimit from 'p-limit';
import { parsePolicy } from '../src/api/parse-policy.js';
import { cliHost } from '../src/cli/context.js';
import { NO_GRACE } from '../src/core/grace.js';
import { sweepEnvironment } from '../src/sweep/environment.js';
import type { Policy } from '../src/core/policy.js';
import { KubeListOwnerSource } from '../src/owners/kube-list-source.js';
import type { Backends, RuntimeBackend } from '../src/runtime/backend.js';
import { backendsForPolicy } from '../src/runtime/backends-for-policy.js';
import { createDockerClient } from '../src/runtime/docker-client.js';
import { runSweep } from '../src/sweep/run-sweep.js';
import { onCleanup } from './lib/cleanup.js';
import type { Lab } from './lib/docker-objects.js';
import { BenchObjects, benchDocker, countCalls } from './lib/docker-objects.js';
import type { BenchReport, Target } from './lib/report.js';
import { table } from './lib/report.js';
import { fmtMs, median } from './lib/stats.js';
import { requiredEnv } from '../test/support/engines.js';
import { installCrds, kubectl } from '../test/support/kubectl.js';

const OWNERS = 100;
const CONTAINERS_PER_OWNER = 10;
const CONCURRENCY = 8;
const TARGET_RATIO = 1.15;

type Contender = 'reaper' | 'floor' | 'naive';
const CONTENDERS: readonly Contender[] = ['reaper', 'floor', 'naive'];

interface Measured {
  readonly wallMs: number;
  /** Docker API calls by method and path. */
  readonly calls: Map<string, number>;
  /** Named phases in order, with their durations (reaper only). */
  readonly phases?: [string, number][];
}

export async function runReapFloor(options: { runs?: number } = {}): Promise<BenchReport> {
  const runs = options.runs ?? 3;
  installCrds();
  const image = requiredEnv('REAPER_TEST_IMAGE');
  const results: Record<Contender, (Measured & { round: number; setupMs: number })[]> = {
    reaper: [],
    floor: [],
    naive: [],
  };

  for (let round = 1; round <= runs; round++) {
    const order = CONTENDERS.map((_, i) => CONTENDERS[(i + round - 1) % CONTENDERS.length]!);
    for (const contender of order) {
      const objects = new BenchObjects('floor');
      const cleanUp = onCleanup(() => objects.cleanUp());
      try {
        const s0 = performance.now();
        const lab = await objects.createLab({
          owners: OWNERS,
          perOwner: CONTAINERS_PER_OWNER,
          concurrency: CONCURRENCY,
          image,
        });
        const setupMs = performance.now() - s0;
        const measured = await REAPERS[contender](objects, lab);
        const left = await objects.count();
        if (left.containers > 0 || left.networks > 0) {
          throw new Error(`${contender} left ${left.containers} containers and ${left.networks} networks behind`);
        }
        results[contender].push({ ...measured, round, setupMs });
        console.error(
          `reap-floor round ${round}/${runs}: ${contender.padEnd(6)} ${fmtMs(measured.wallMs)} ` +
            `(${total(measured.calls)} Docker calls; lab created in ${fmtMs(setupMs)})`,
        );
      } finally {
        await cleanUp();
      }
    }
  }

  const med = (c: Contender) => median(results[c].map((r) => r.wallMs));
  const reaper = med('reaper');
  const floor = med('floor');
  const naive = med('naive');
  const ratio = reaper / floor;
  const pairedRatios = results.reaper.map((r) => r.wallMs / results.floor.find((f) => f.round === r.round)!.wallMs);
  const phaseMediansOf = (c: Contender) =>
    (results[c][0]?.phases?.map(([name]) => name) ?? []).map(
      (name) => [name, median(results[c].map((r) => r.phases!.find(([n]) => n === name)![1]))] as const,
    );
  const phaseMedians = phaseMediansOf('reaper');
  const floorPhases = phaseMediansOf('floor');

  const callsLine = (c: Contender) =>
    [...results[c][0]!.calls]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${v} × ${k}`)
      .join(', ');

  const targets: Target[] = [
    {
      what: `reaper's wall time at most ${TARGET_RATIO} × the floor's`,
      measured: `ratio ${ratio.toFixed(2)} of medians (${fmtMs(reaper)} / ${fmtMs(floor)}); paired per round ${pairedRatios
        .map((r) => r.toFixed(2))
        .join(', ')}`,
      met: ratio <= TARGET_RATIO,
      limits:
        `phases of reaper's sweep (medians): ${phaseMedians.map(([n, ms]) => `${n} ${fmtMs(ms)}`).join(', ')}. ` +
        `Per container reaper makes ${perItem(results.reaper[0]!.calls, 'containers', OWNERS * CONTAINERS_PER_OWNER)} ` +
        `Docker calls against the floor's 1 (it inspects first, to decide on the state now rather than the snapshot's), ` +
        `and per network ${perItem(results.reaper[0]!.calls, 'networks', OWNERS)} against 1 (inspect, a filtered ` +
        `container list to find stopped containers still naming it, remove).`,
    },
  ];

  return {
    setup: [
      `lab per run: ${OWNERS} owners (none live), each with a bridge network (explicit /24) and ${CONTAINERS_PER_OWNER} ` +
        `stopped (created, never started) containers on it: ${OWNERS * CONTAINERS_PER_OWNER} containers, ${OWNERS} networks; created with ` +
        `concurrency ${CONCURRENCY} before each timed reap, not timed`,
      `reaper: runSweep with backendsForPolicy and the CLI's sweep environment, owners from the cluster ` +
        `(KubeListOwnerSource, Topology and Sandbox in an empty namespace), policy concurrency ${CONCURRENCY}, ` +
        `minAge 0, gracePeriod 0, match on the run's own label`,
      `floor: container remove (v=true) then network remove by id, p-limit(${CONCURRENCY}); naive: one owner listing, ` +
        `then list, inspect and remove each container one at a time, then the same for networks`,
      `engines: ${await engines()}`,
    ],
    sections: [
      table(
        ['contender', 'runs', 'wall (median)', 'vs floor', 'per container+network share', 'individual runs'],
        CONTENDERS.map((c) => [
          c,
          String(results[c].length),
          fmtMs(med(c)),
          `${(med(c) / floor).toFixed(2)} ×`,
          `${((med(c) * 1000) / (OWNERS * CONTAINERS_PER_OWNER + OWNERS)).toFixed(0)} µs`,
          results[c].map((r) => fmtMs(r.wallMs)).join(', '),
        ]),
      ),
      `Reaper's sweep by phase (median of runs): ${phaseMedians.map(([n, ms]) => `${n} ${fmtMs(ms)}`).join(', ')}. ` +
        `The floor's: ${floorPhases.map(([n, ms]) => `${n} ${fmtMs(ms)}`).join(', ')}.`,
      `Docker API calls per run: reaper ${total(results.reaper[0]!.calls)} (${callsLine('reaper')}); ` +
        `floor ${total(results.floor[0]!.calls)} (${callsLine('floor')}); ` +
        `naive ${total(results.naive[0]!.calls)} (${callsLine('naive')}).`,
      `Lab creation (not timed): median ${fmtMs(median(CONTENDERS.flatMap((c) => results[c].map((r) => r.setupMs))))}.`,
    ],
    targets,
    notes: [
      `the naive sequential reaper, the baseline users have today, took ${fmtMs(naive)}: reaper is ` +
        `${(naive / reaper).toFixed(1)} × faster`,
    ],
  };
}

const REAPERS: Record<Contender, (objects: BenchObjects, lab: Lab) => Promise<Measured>> = {
  async reaper(objects) {
    const docker = createDockerClient();
    const calls = countCalls(docker);
    const policy = benchPolicy(objects);
    const kc = new k8s.KubeConfig();
    kc.loadFromDefault();
    const marks: [string, number][] = [];
    const mark = (name: string) => marks.push([name, performance.now()]);
    const backends = timedBackends(backendsForPolicy(policy, docker), mark);
    const owners = new KubeListOwnerSource(kc);
    let ownersListed = false;
    const t0 = performance.now();
    mark('start');
    const result = await runSweep(
      policy,
      NO_GRACE,
      sweepEnvironment(cliHost('bench'), {
        backends,
        owners: {
          list: async (p) => {
            mark('snapshot');
            const listing = await owners.list(p);
            mark('owners');
            ownersListed = true;
            return listing;
          },
          recheck: async (p, candidates) => {
            const live = await owners.recheck(p, candidates);
            mark('re-check');
            return live;
          },
        },
        onPlanned: () => {
          mark('plan');
        },
      }),
    );
    const wallMs = performance.now() - t0;
    mark('report');
    const { containers, networks } = result.report.counts;
    if (!ownersListed || containers.reaped !== OWNERS * CONTAINERS_PER_OWNER || networks.reaped !== OWNERS) {
      throw new Error(
        `reaper's sweep did not reap the lab: ${result.report.outcome}, ${containers.reaped} containers and ` +
          `${networks.reaped} networks reaped; ${result.report.errors.join('; ')}; ` +
          result.report.items
            .filter((i) => i.action !== 'Reaped')
            .map((i) => `${i.kind} ${i.name}: ${i.action} ${i.reason}`)
            .join('; '),
      );
    }
    return { wallMs, calls: new Map(calls.counts), phases: phasesOf(marks) };
  },

  async floor(_objects, lab) {
    // The client reaper builds (the same modem and socket), so only what is done with it differs.
    const docker = createDockerClient();
    const calls = countCalls(docker);
    const limit = pLimit(CONCURRENCY);
    const t0 = performance.now();
    await Promise.all(lab.containerIds.map((id) => limit(() => docker.getContainer(id).remove({ v: true }))));
    const t1 = performance.now();
    await Promise.all(lab.networkIds.map((id) => limit(() => docker.getNetwork(id).remove())));
    const t2 = performance.now();
    return {
      wallMs: t2 - t0,
      calls: new Map(calls.counts),
      phases: [
        ['containers', t1 - t0],
        ['networks', t2 - t1],
      ],
    };
  },

  async naive(objects) {
    const docker = createDockerClient();
    const calls = countCalls(docker);
    const t0 = performance.now();
    const live = new Set(kubeOwnerUids());
    const containers = await docker.listContainers({ all: true, filters: { label: [objects.label] } });
    for (const c of containers) {
      const info = await docker.getContainer(c.Id).inspect();
      if (live.has(info.Config.Labels[objects.label] ?? '')) continue;
      if (info.State.Running) await docker.getContainer(c.Id).stop();
      await docker.getContainer(c.Id).remove({ v: true });
    }
    const networks = await docker.listNetworks({ filters: { label: [objects.label] } });
    for (const n of networks) {
      const info = (await docker.getNetwork(n.Id).inspect()) as Docker.NetworkInspectInfo;
      if (live.has(info.Labels?.[objects.label] ?? '')) continue;
      await docker.getNetwork(n.Id).remove();
    }
    return { wallMs: performance.now() - t0, calls: new Map(calls.counts) };
  },
};

/** The naive script's owner check: `kubectl get` of both kinds, as a shell script would do it. */
function kubeOwnerUids(): string[] {
  const out = kubectl(['get', 'topologies,sandboxes', '--all-namespaces', '-o', 'jsonpath={.items[*].metadata.uid}']);
  return out.split(/\s+/).filter(Boolean);
}

function benchPolicy(objects: BenchObjects): Policy {
  const namespaces = [objects.prefix];
  const parsed = parsePolicy({
    apiVersion: 'reaper.dev/v1alpha1',
    kind: 'ReapPolicy',
    metadata: { name: objects.prefix },
    spec: {
      owners: [
        { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', namespaces },
        { apiVersion: 'reaper.dev/v1alpha1', kind: 'Sandbox', namespaces },
      ],
      match: [{ label: objects.label }],
      timing: { minAge: '0', gracePeriod: '0' },
      limits: { maxDeletionsPerSweep: 100000, maxOrphanPercent: 100, concurrency: CONCURRENCY },
    },
  });
  if (!parsed.ok) throw new Error(`bench policy invalid: ${JSON.stringify(parsed.problems)}`);
  return parsed.policy;
}

/** Marks the end of each listing and the first and last removal of each kind. */
function timedBackends(backends: Backends, mark: (name: string) => void): Backends {
  const timed: Backends = {};
  for (const [kind, backend] of Object.entries(backends) as [keyof Backends, RuntimeBackend][]) {
    let inFlight = 0;
    let started = false;
    timed[kind] = {
      kind: backend.kind,
      list: () => backend.list(),
      remove: async (resource) => {
        if (!started) {
          started = true;
          mark(`${kind}s: start`);
        }
        inFlight++;
        try {
          return await backend.remove(resource);
        } finally {
          inFlight--;
          if (inFlight === 0) mark(`${kind}s`);
        }
      },
      ...(backend.drainWarnings ? { drainWarnings: () => backend.drainWarnings!() } : {}),
    };
  }
  return timed;
}

/**
 * Durations between marks: snapshot (start to the owner listing), owners, plan, re-check, then each
 * kind's removals (the last mark of a kind ends it), and what is left (report) to the end.
 */
function phasesOf(marks: [string, number][]): [string, number][] {
  const kept: [string, number][] = [];
  for (const [name, at] of marks) {
    if (name.endsWith(': start')) continue;
    const existing = kept.findIndex(([n]) => n === name);
    if (existing >= 0) kept[existing] = [name, at];
    else kept.push([name, at]);
  }
  const phases: [string, number][] = [];
  for (let i = 1; i < kept.length; i++) phases.push([kept[i]![0], kept[i]![1] - kept[i - 1]![1]]);
  return phases;
}

function total(calls: Map<string, number>): number {
  return [...calls.values()].reduce((a, b) => a + b, 0);
}

function perItem(calls: Map<string, number>, kind: 'containers' | 'networks', n: number): string {
  let sum = 0;
  for (const [key, count] of calls) if (key.includes(`/${kind}/{id}`)) sum += count;
  if (kind === 'networks')
    sum += [...calls].filter(([k]) => k === 'GET /containers/json').reduce((a, [, c]) => a + c, 0) - 2;
  return (sum / n).toFixed(1);
}

async function engines(): Promise<string> {
  const version = await benchDocker().version();
  let kube = 'unknown';
  try {
    const json = JSON.parse(kubectl(['version', '-o', 'json'])) as { serverVersion?: { gitVersion?: string } };
    kube = json.serverVersion?.gitVersion ?? kube;
  } catch {
    // The version is for the record only.
  }
  return `Docker ${version.Version} (API ${version.ApiVersion}) at ${requiredEnv('DOCKER_HOST')}, Kubernetes ${kube}`;
}
