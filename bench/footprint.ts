// `footprint`: `reaper run`'s resident memory and CPU with 20,000 owners and 10,000 containers,
// idle and sweeping, and the API requests per periodic sweep, measured at 5,000 owners and again at
// 20,000 so that "constant in the number of owners" is a comparison, not a single figure.
//
// The 10,000 containers (created, not started: 10,000 running containers would not fit) belong to
// the first 5,000 owners, two each; the other 15,000 owners have nothing on this host, as most
// owners of a cluster have nothing on any one node. The controller runs against a Kubernetes of the
// benchmarks' own, so the API server's request counters hold only its traffic (and
// kube-controller-manager's, which touches no reaper.dev resource).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
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
import { BenchObjects } from './lib/docker-objects.js';
import { API_VERSION, BenchCluster, apiserverMetrics, describeCalls, diffCalls, requestsByCall } from './lib/kube.js';
import type { Owner } from './lib/kube.js';
import type { BenchReport, Target } from './lib/report.js';
import { table } from './lib/report.js';
import { MiB, fmtMiB, fmtMs, median } from './lib/stats.js';
import { requiredEnv } from '../test/support/engines.js';
import { LIST_PAGE_SIZE } from '../src/kube/paged-list.js';

const OWNER_STEPS = [5_000, 20_000];
const CONTAINERS = 10_000;
const CONTAINERS_PER_OWNER = 2;
const IDLE_WINDOW_MS = 60_000;
const SWEEP_INTERVAL = '10s';
const DEFAULT_SWEEP_CYCLES = 6;
const REAPING_CYCLES = 3;
/** Idle, at the last step (20,000 owners). */
const TARGET_RSS = 128 * MiB;
/** The most resident at any time, start and relists included (VmHWM). */
const TARGET_PEAK_RSS = 192 * MiB;
/** At most this share of one core, averaged over the idle window. */
const TARGET_IDLE_CPU = 0.01;

interface Window {
  readonly samples: ProcSample[];
  /** Share of one core over the window. */
  readonly cpu: number;
}

/** The V8 heap at the end of the idle window, from the controller's own /metrics (prom-client's defaults). */
interface Heap {
  readonly usedBytes: number;
  readonly totalBytes: number;
  readonly externalBytes: number;
}

interface Resident {
  readonly fileBytes: number;
  readonly brkBytes: number;
  readonly anonymousBytes: number;
}

interface Step {
  readonly owners: number;
  readonly idle: Window & {
    readonly requests: Map<string, number>;
    readonly sweeps: number;
    readonly heap: Heap;
    readonly resident: Resident;
    /** Listings the runtime view asked Docker for during the window. */
    readonly dockerLists: number;
  };
  readonly sweeping: Window & {
    readonly perSweep: Map<string, number>[];
    readonly sweepMs: number;
  };
  readonly reaping: { readonly perSweep: Map<string, number>[] };
  readonly settleMs: number;
}

export async function runFootprint(options: { runs?: number } = {}): Promise<BenchReport> {
  const cycles = options.runs ?? DEFAULT_SWEEP_CYCLES;
  const image = requiredEnv('REAPER_TEST_IMAGE');
  const objects = new BenchObjects('footprint');
  const cluster = new BenchCluster();
  const namespace = objects.prefix;
  const policyName = objects.prefix;
  let controller: ControllerProcess | undefined;
  let build: Awaited<ReturnType<typeof bundleController>> | undefined;
  let runtime: ReturnType<typeof imageNode> | undefined;
  const cleanUp = onCleanup(async () => {
    await controller?.stop().catch((err: Error) => console.error(err.message));
    build?.remove();
    await cluster.deletePolicy(policyName);
    await cluster.deleteNamespace(namespace);
    await objects.cleanUp();
  });

  try {
    console.error('footprint: bundling the controller');
    build = await bundleController();
    runtime = imageNode();
    await cluster.createNamespace(namespace);
    const kindOf = (i: number): Owner['kind'] => (i % 10 < 7 ? 'Topology' : 'Sandbox');
    console.error(`footprint: creating ${OWNER_STEPS[0]} owners and ${CONTAINERS} containers`);
    const s0 = performance.now();
    const owners: Owner[] = await cluster.createOwners(namespace, 'o', OWNER_STEPS[0]!, kindOf);
    await createContainers(objects, owners, image);
    const setupMs = performance.now() - s0;

    await cluster.createPolicy(policyName, {
      owners: [
        { apiVersion: API_VERSION, kind: 'Topology', namespaces: [namespace] },
        { apiVersion: API_VERSION, kind: 'Sandbox', namespaces: [namespace] },
      ],
      match: [{ label: objects.label }],
      timing: { minAge: '0', gracePeriod: '0' },
    });
    controller = await startBuiltController(build.main, 'bench-footprint', [], runtime);
    await controller.waitForLog(
      'the first sweep',
      (l) => l.msg === 'sweep finished' && l.policy === policyName,
      300_000,
    );

    const steps: Step[] = [];
    for (const target of OWNER_STEPS) {
      if (owners.length < target) {
        console.error(`footprint: creating ${target - owners.length} more owners`);
        owners.push(...(await cluster.createOwners(namespace, 'o', target - owners.length, kindOf, owners.length)));
      }
      const settleMs = await settle(controller.pid, 5000, 300_000);
      console.error(`footprint: ${target} owners: settled after ${fmtMs(settleMs)}; idle window`);
      const idle = await idleWindow(controller, policyName);
      console.error(`footprint: ${target} owners: sweeping every ${SWEEP_INTERVAL}`);
      await cluster.patchPolicy(policyName, { spec: { timing: { interval: SWEEP_INTERVAL } } });
      const sweeping = await sweepingWindow(controller, policyName, cycles, () => Promise.resolve());
      console.error(`footprint: ${target} owners: sweeps that each reap one orphan`);
      const reaping = await sweepingWindow(controller, policyName, REAPING_CYCLES, () =>
        orphan(objects, image, namespace),
      );
      await cluster.patchPolicy(policyName, { spec: { timing: { interval: '5m' } } });
      steps.push({ owners: target, idle, sweeping, reaping: { perSweep: reaping.perSweep }, settleMs });
    }
    const hwm = peakRss(controller.pid);
    // The live owners' containers must all still be there (the reaping cycles' orphans are gone).
    const liveUids = new Set(owners.map((o) => o.uid));
    const kept = (await objects.docker.listContainers({ all: true, filters: { label: [objects.label] } })).filter((c) =>
      liveUids.has(c.Labels[objects.label] ?? ''),
    ).length;
    return report(steps, hwm, setupMs, cycles, kept, runtime);
  } finally {
    await cleanUp();
  }
}

async function createContainers(objects: BenchObjects, owners: Owner[], image: string): Promise<void> {
  const limit = pLimit(8);
  const jobs: Promise<unknown>[] = [];
  for (let i = 0; i < CONTAINERS; i++) {
    const owner = owners[Math.floor(i / CONTAINERS_PER_OWNER)]!;
    jobs.push(
      limit(() =>
        objects.create(() =>
          objects.docker.createContainer({
            name: `${objects.prefix}-${owner.name}-n${i % CONTAINERS_PER_OWNER}`,
            Image: image,
            Cmd: ['sleep', '3600'],
            Labels: objects.labelsFor(owner.uid, owner),
            HostConfig: { NetworkMode: 'none' },
          }),
        ),
      ),
    );
  }
  await Promise.all(jobs);
}

/** A container whose owner never existed: the next sweep reaps it. */
async function orphan(objects: BenchObjects, image: string, namespace: string): Promise<void> {
  await objects.create(() =>
    objects.docker.createContainer({
      name: `${objects.prefix}-orphan-${randomUUID().slice(0, 8)}`,
      Image: image,
      Cmd: ['true'],
      Labels: objects.labelsFor(randomUUID(), { kind: 'Topology', namespace }),
      HostConfig: { NetworkMode: 'none' },
    }),
  );
}

async function idleWindow(controller: ControllerProcess, policy: string): Promise<Step['idle']> {
  const sweepsBefore = sweepsOf(controller, policy).length;
  const before = requestsByCall(apiserverMetrics());
  const listsBefore = dockerLists(await metricsOf(controller));
  const samples: ProcSample[] = [procSample(controller.pid)];
  const t0 = performance.now();
  while (performance.now() - t0 < IDLE_WINDOW_MS) {
    await sleep(1000);
    samples.push(procSample(controller.pid));
  }
  const requests = diffCalls(requestsByCall(apiserverMetrics()), before);
  const metrics = await metricsOf(controller);
  const heap = {
    usedBytes: sumOf(metrics, 'nodejs_heap_size_used_bytes'),
    totalBytes: sumOf(metrics, 'nodejs_heap_size_total_bytes'),
    externalBytes: sumOf(metrics, 'nodejs_external_memory_bytes'),
  };
  return {
    samples,
    cpu: cpuShare(samples),
    requests,
    sweeps: sweepsOf(controller, policy).length - sweepsBefore,
    heap,
    resident: residentByMapping(controller.pid),
    dockerLists: dockerLists(metrics) - listsBefore,
  };
}

function dockerLists(metrics: Awaited<ReturnType<typeof metricsOf>>): number {
  return sumOf(metrics, 'reaper_runtime_view_docker_calls_total', (labels) => labels.includes('list'));
}

/**
 * `cycles` periodic sweeps, after the one the interval change starts. Requests are counted from one
 * sweep's end to the next's (a cycle: the status writes after a sweep, then the next sweep), with
 * `beforeEach` run at the start of each cycle.
 */
async function sweepingWindow(
  controller: ControllerProcess,
  policy: string,
  cycles: number,
  beforeEach: () => Promise<void>,
): Promise<Step['sweeping']> {
  const nextSweep = async () => {
    const from = controller.logs.length;
    await controller.waitForLog('a sweep', (l) => l.msg === 'sweep finished' && l.policy === policy, 120_000, from);
  };
  await nextSweep();
  await sleep(2000); // the status writes after it
  const metricsBefore = await metricsOf(controller);
  const samples: ProcSample[] = [procSample(controller.pid)];
  const sampler = setInterval(() => samples.push(procSample(controller.pid)), 1000);
  const perSweep: Map<string, number>[] = [];
  try {
    let before = requestsByCall(apiserverMetrics());
    for (let c = 0; c < cycles; c++) {
      await beforeEach();
      await nextSweep();
      await sleep(2000);
      const now = requestsByCall(apiserverMetrics());
      perSweep.push(diffCalls(now, before));
      before = now;
    }
  } finally {
    clearInterval(sampler);
  }
  samples.push(procSample(controller.pid));
  const metricsAfter = await metricsOf(controller);
  const seconds =
    sumOf(metricsAfter, 'reaper_sweep_duration_seconds_sum') -
    sumOf(metricsBefore, 'reaper_sweep_duration_seconds_sum');
  const count =
    sumOf(metricsAfter, 'reaper_sweep_duration_seconds_count') -
    sumOf(metricsBefore, 'reaper_sweep_duration_seconds_count');
  return {
    samples,
    cpu: cpuShare(samples),
    perSweep,
    sweepMs: count > 0 ? (seconds / count) * 1000 : NaN,
  };
}

function report(
  steps: Step[],
  hwm: number,
  setupMs: number,
  cycles: number,
  kept: number,
  node: ReturnType<typeof imageNode>,
): BenchReport {
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const reaper = (m: Map<string, number>) => {
    const kept = new Map([...m].filter(([call]) => / reaper\.dev\/| core\/events| events\.k8s\.io\//.test(call)));
    return kept;
  };
  const rss = (w: Window) => w.samples.map((s) => s.rssBytes);
  const last = steps.at(-1)!;
  const idleRss20k = median(rss(last.idle));
  const steadyMedians = steps.map((s) => median(s.sweeping.perSweep.map((m) => total(reaper(m)))));
  const reapingMedians = steps.map((s) => median(s.reaping.perSweep.map((m) => total(reaper(m)))));
  const constant = Math.max(...steadyMedians) - Math.min(...steadyMedians) <= 1;

  const rows = steps.map((s) => [
    s.owners.toLocaleString('en'),
    `${fmtMiB(median(rss(s.idle)))} / ${fmtMiB(Math.max(...rss(s.idle)))}`,
    `${fmtMiB(s.idle.heap.usedBytes)} / ${fmtMiB(s.idle.heap.totalBytes)} / ${fmtMiB(s.idle.heap.externalBytes)}`,
    `${fmtMiB(s.idle.resident.fileBytes)} / ${fmtMiB(s.idle.resident.brkBytes)} / ${fmtMiB(s.idle.resident.anonymousBytes)}`,
    `${(s.idle.cpu * 100).toFixed(2)}%`,
    `${fmtMiB(median(rss(s.sweeping)))} / ${fmtMiB(Math.max(...rss(s.sweeping)))}`,
    `${(s.sweeping.cpu * 100).toFixed(1)}%`,
    fmtMs(s.sweeping.sweepMs),
    `${median(s.sweeping.perSweep.map((m) => total(reaper(m))))} (${s.sweeping.perSweep.map((m) => total(reaper(m))).join(', ')})`,
    `${median(s.reaping.perSweep.map((m) => total(reaper(m))))} (${s.reaping.perSweep.map((m) => total(reaper(m))).join(', ')})`,
    `${total(reaper(s.idle.requests))} in ${IDLE_WINDOW_MS / 1000} s`,
  ]);

  const targets: Target[] = [
    {
      what: `idle RSS at most ${fmtMiB(TARGET_RSS)} with ${last.owners.toLocaleString('en')} owners and ${CONTAINERS.toLocaleString('en')} containers (median over the idle window)`,
      measured: `${fmtMiB(idleRss20k)}`,
      met: idleRss20k <= TARGET_RSS,
      limits:
        "the node binary's own pages (the 'files' column) and the modules' code and source: of " +
        "@kubernetes/client-node's generated code the bundle holds the three APIs reaper calls but every model " +
        '(its ObjectSerializer names them all); the V8 heap column says how much is live JavaScript objects, and ' +
        'the 5,000 / 20,000 rows how much the owners add',
    },
    {
      what: `peak RSS at most ${fmtMiB(TARGET_PEAK_RSS)} over the whole run, start and sweeps included (VmHWM)`,
      measured: fmtMiB(hwm),
      met: hwm <= TARGET_PEAK_RSS,
      limits: 'the first listing of every owner and container, decoded while the caches fill',
    },
    {
      what: `idle CPU at most ${TARGET_IDLE_CPU * 100}% of a core over ${IDLE_WINDOW_MS / 1000} s without sweeps`,
      measured: steps
        .map((s) => `${(s.idle.cpu * 100).toFixed(2)}% at ${s.owners.toLocaleString('en')} owners`)
        .join(', '),
      met: steps.every((s) => s.idle.cpu <= TARGET_IDLE_CPU),
      limits:
        'what wakes an idle agent: the event-loop delay histogram (10 samples a second), the runtime ' +
        "view's refresh every owner resync (1 min), watch bookmarks, a leader's lease renewals; and V8's collector " +
        "threads, which the machine's pace (the record's pace line) slows with everything else",
    },
    {
      what: 'no Docker listing in an idle window',
      measured: steps.map((s) => `${s.idle.dockerLists} at ${s.owners.toLocaleString('en')} owners`).join(', '),
      met: steps.every((s) => s.idle.dockerLists === 0),
      limits: "the runtime view relists after a break in Docker's event stream and at its safety interval",
    },
    {
      what: "every live owner's containers kept",
      measured: `${kept.toLocaleString('en')} of ${CONTAINERS.toLocaleString('en')} left at the end`,
      met: kept === CONTAINERS,
      limits: 'reaper removed containers of live owners: a correctness bug, whatever the other figures say',
    },
    {
      what: 'API requests per periodic sweep constant in the number of owners',
      measured: steps.map((s, i) => `median ${steadyMedians[i]} at ${s.owners.toLocaleString('en')} owners`).join(', '),
      met: constant,
      limits: 'see the per-sweep request breakdown',
    },
  ];

  return {
    setup: [
      `a Kubernetes of the benchmarks' own; owners 70% Topology, 30% Sandbox in one namespace; ${CONTAINERS.toLocaleString('en')} ` +
        `created (not started) containers for the first ${CONTAINERS / CONTAINERS_PER_OWNER} owners on the shared engine (which ` +
        `also holds whatever else runs there)`,
      `${describeImageAgent(node)}; policy minAge 0, gracePeriod 0, interval 5m ` +
        `while idle and ${SWEEP_INTERVAL} while sweeping; RSS and CPU from /proc/<pid> every second`,
      `requests: the API server's apiserver_request_total (WATCH left out) read after each sweep; "reaper" counts ` +
        `reaper.dev resources and Events, the only ones the controller writes or lists per sweep`,
      `setup (owners, containers) took ${fmtMs(setupMs)}; ${cycles} sweeping cycles and ${REAPING_CYCLES} reaping ` +
        `cycles per step`,
    ],
    sections: [
      table(
        [
          'owners',
          'idle RSS (median / max)',
          'idle V8 heap (used / total / external)',
          'idle RSS by mapping (files / brk heap / other anonymous)',
          'idle CPU',
          'sweeping RSS (median / max)',
          'sweeping CPU',
          'mean sweep',
          'requests per sweep (median; each)',
          'requests per sweep reaping 1 orphan (median; each)',
          'idle requests',
        ],
        rows,
      ),
      ...steps.map(
        (s) =>
          `${s.owners.toLocaleString('en')} owners: a steady sweep made ${describeCalls(s.sweeping.perSweep.at(-1)!)}; ` +
          `a sweep reaping one orphan made ${describeCalls(s.reaping.perSweep.at(-1)!)} ` +
          `(all requests the API server counted, kube-controller-manager's included); idle for ` +
          `${IDLE_WINDOW_MS / 1000} s: ${describeCalls(s.idle.requests)}; settled ${fmtMs(s.settleMs)} after the owners changed.`,
      ),
      `Peak RSS over the whole run (VmHWM): ${fmtMiB(hwm)}.`,
    ],
    targets,
    notes: [
      `the orphan reaped here is labelled with its owner's uid alone and that owner never existed, so no object ` +
        `can be read for it: the fresh re-check falls back to listing the policy's owners, ${LIST_PAGE_SIZE} a page ` +
        `(median ${reapingMedians.map((m, i) => `${m} requests at ${steps[i]!.owners.toLocaleString('en')} owners`).join(', ')}). ` +
        `An orphan whose labels or the agent's cache name its owner's object is re-checked by reading that object (the reaction benchmark)`,
    ],
  };
}

function cpuShare(samples: ProcSample[]): number {
  const first = samples[0]!;
  const last = samples.at(-1)!;
  return (last.cpuSeconds - first.cpuSeconds) / ((last.at - first.at) / 1000);
}

/**
 * Resident memory by mapping, from /proc/<pid>/smaps: files (the node binary, libraries), the brk
 * heap (glibc malloc's main arena) and other anonymous mappings (V8's heap pages, malloc's mmapped
 * chunks and other arenas, thread stacks).
 */
function residentByMapping(pid: number): Resident {
  const resident = { fileBytes: 0, brkBytes: 0, anonymousBytes: 0 };
  let target: keyof typeof resident = 'anonymousBytes';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (header) {
      const path = header[2] ?? '';
      target =
        path === '[heap]' ? 'brkBytes' : header[1] !== '0' || path.startsWith('/') ? 'fileBytes' : 'anonymousBytes';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) resident[target] += Number(rss[1]) * 1024;
  }
  return resident;
}

function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s*(\d+)\s*kB/m.exec(status)?.[1] ?? NaN) * 1024;
}
