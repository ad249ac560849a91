// `fleet`: reaper on many nodes, kubemark-style. Hollow agents run the real agent code (informers,
// reconcilers, status writers: controllers/manager.ts) in this process against the benchmarks' own
// API server, each with an in-memory engine of a few hundred containers in place of a dockerd
// (bench/lib/hollow-engine.ts). At 100, 500 and 1,000 agents (REAPER_FLEET_AGENTS) it measures:
// the bytes of every reaper object; writes a second to the API server, idle and during a burst of
// 100 owner deletions; watch events and bytes delivered to each agent; the API server's CPU seconds;
// the time from an owner's deletion to its resources gone on every node; each write's p99; and that
// no live owner's resource is ever removed. Figures are extrapolated to 5,000 agents.
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { controllerConfig } from '../controllers/config.js';
import type { Manager } from '../controllers/manager.js';
import { startManager } from '../controllers/manager.js';
import type { LogFields, Logger } from '../src/observe/logger.js';
import { eventually } from '../test/support/eventually.js';
import { ownerLabels } from '../test/support/owner-labels.js';
import { onCleanup } from './lib/cleanup.js';
import type { Metrics } from './lib/controller.js';
import type { HollowOwner, Removal } from './lib/hollow-engine.js';
import { HollowEngine } from './lib/hollow-engine.js';
import type { Owner } from './lib/kube.js';
import { API_VERSION, BenchCluster, GROUP, VERSION, apiserverMetrics, describeCalls } from './lib/kube.js';
import type { BenchReport, Target } from './lib/report.js';
import { table } from './lib/report.js';
import { fmtMs, median, percentile } from './lib/stats.js';

const DEFAULT_SCALES = [100, 500, 1000];
/** Owners in all, whatever the fleet size: each agent's cache holds every one of them. */
const OWNERS = 500;
const CONTAINERS_PER_OWNER = 2;
/** What else each node runs: a few hundred containers per engine in all. */
const FOREIGN_CONTAINERS = 200;
const BURST = 100;
const IDLE_MS = 60_000;
const BURST_TIMEOUT_MS = 300_000;
const START_CONCURRENCY = 10;
const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE', 'DELETECOLLECTION']);
const KIB = 1024;
/** The summary writer's default --summary-period, in seconds. */
const SUMMARY_PERIOD_S = 10;

interface AgentRecord {
  readonly node: string;
  sweeps: number;
  errors: number;
}

interface ScaleResult {
  readonly agents: number;
  readonly startSeconds: number;
  /** From every agent's first sweep until owner status writes stopped. */
  readonly settle: Phase;
  readonly idle: Phase;
  /** Watches of ReapNodeReports open at the end of the idle phase, whoever holds them. */
  readonly reportWatchers: number;
  readonly burst: Phase & { readonly goneMs: number[]; readonly timedOut: number; readonly retries: number };
  readonly sizes: Sizes;
  readonly writeP99Ms: number;
  readonly violations: string[];
  readonly agentErrors: number;
  /** This process's resident memory at the end of the idle phase: every hollow agent's. */
  readonly rssBytes: number;
}

interface Phase {
  readonly seconds: number;
  readonly writes: Map<string, number>;
  readonly watchEvents: Map<string, number>;
  readonly watchBytes: number;
  readonly apiserverCpuSeconds: number;
}

interface Sizes {
  readonly policyBytes: number;
  readonly nodeReports: { count: number; totalBytes: number; maxBytes: number };
  readonly ownerMeanBytes: number;
}

export async function runFleet(): Promise<BenchReport> {
  const scales = (process.env.REAPER_FLEET_AGENTS ?? DEFAULT_SCALES.join(','))
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
  const results: ScaleResult[] = [];
  const failures: string[] = [];
  for (const agents of scales) {
    console.error(`fleet: ${agents} hollow agents`);
    try {
      const result = await runScale(agents);
      results.push(result);
      console.error(`fleet: ${agents} agents done: ${JSON.stringify(summaryLine(result))}`);
    } catch (err) {
      // A scale this machine cannot carry is a result too: the scales before it still count.
      failures.push(`${agents} agents: ${(err as Error).message}`);
      console.error(`fleet: ${agents} agents failed: ${(err as Error).message}`);
    }
  }
  if (results.length === 0) throw new Error(`no scale completed: ${failures.join('; ')}`);
  const fleetReport = report(results);
  return { ...fleetReport, notes: [...(fleetReport.notes ?? []), ...failures.map((f) => `Did not complete: ${f}.`)] };
}

/** The headline figures of one scale, printed as soon as it ends. */
function summaryLine(r: ScaleResult): Record<string, string | number> {
  return {
    policyKiB: +(r.sizes.policyBytes / KIB).toFixed(1),
    idleWritesPerS: +(total(r.idle.writes) / r.idle.seconds).toFixed(2),
    burstWrites: total(r.burst.writes),
    goneP50Ms: Math.round(median(r.burst.goneMs)),
    writeP99Ms: Math.round(r.writeP99Ms),
    violations: r.violations.length,
  };
}

async function runScale(agentCount: number): Promise<ScaleResult> {
  const cluster = new BenchCluster();
  const suffix = Math.random().toString(16).slice(2, 8);
  const namespace = `fleet-${suffix}`;
  const policyName = `fleet-${suffix}`;
  const managers: Manager[] = [];
  const nodeNames: string[] = [];
  const cleanUp = onCleanup(async () => {
    await Promise.all(managers.map((m) => m.stop()));
    await cluster.deletePolicy(policyName);
    await cluster.deleteNamespace(namespace);
    // Their reports go with them (the garbage collector follows the Node owner references).
    const limit = pLimit(16);
    await Promise.all(nodeNames.map((name) => limit(() => cluster.core.deleteNode({ name }).catch(() => undefined))));
  });
  try {
    await cluster.createNamespace(namespace);
    console.error(`fleet: creating ${OWNERS} owners`);
    const owners = await cluster.createOwners(namespace, 'lab', OWNERS, () => 'Topology');
    await cluster.createPolicy(policyName, {
      owners: [{ apiVersion: API_VERSION, kind: 'Topology', namespaces: [namespace] }],
      match: [{ label: 'reaper.dev/owner-uid' }],
      resources: { containers: { stopTimeoutSeconds: 1 } },
      timing: { minAge: '0', gracePeriod: '0' },
    });

    // Owner i on node i mod N: the burst's owners sit on as many nodes as it can.
    const nodes = Array.from({ length: agentCount }, (_, i) => `hollow-${String(i).padStart(4, '0')}`);
    nodeNames.push(...nodes);
    const held = new Map<string, HollowOwner[]>(nodes.map((n) => [n, []]));
    const ownerOfKey = new Map<string, Owner>();
    owners.forEach((owner, i) => {
      const labels = ownerLabels('reaper.dev/owner-uid', owner.uid, { kind: 'Topology', namespace });
      held.get(nodes[i % agentCount]!)!.push({ key: owner.uid, labels });
      ownerOfKey.set(owner.uid, owner);
    });
    const removals: Removal[] = [];
    const deleted = new Map<string, number>();
    const violations: string[] = [];
    const onRemove = (removal: Removal) => {
      removals.push(removal);
      const key = removal.resource.labels['reaper.dev/owner-uid'];
      if (key === undefined || !deleted.has(key)) {
        violations.push(`${removal.node} removed ${removal.resource.kind} ${removal.resource.name} of a live owner`);
      }
    };

    const records = new Map<string, AgentRecord>();
    const kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromDefault();
    // As kubemark's hollow nodes register, each hollow agent has its Node: its reports are owned by it.
    console.error(`fleet: registering ${agentCount} Nodes`);
    const nodeLimit = pLimit(16);
    await Promise.all(
      nodes.map((name) =>
        nodeLimit(() =>
          retried(
            () => cluster.core.createNode({ body: { metadata: { name } } }),
            () => undefined,
          ),
        ),
      ),
    );
    // The one summary writer, as the chart's summary Deployment runs it.
    const summaryRecord: AgentRecord = { node: 'summary', sweeps: 0, errors: 0 };
    const summaryConfig = controllerConfig({
      nodeName: 'fleet-summary',
      httpAddress: '127.0.0.1:0',
      logLevel: 'warn',
      role: 'summary',
    });
    if (!summaryConfig.ok) throw new Error(summaryConfig.problems.join('; '));
    managers.push(await startManager(summaryConfig.config, recordingLogger(summaryRecord), kubeConfig));
    const started = performance.now();
    const limit = pLimit(START_CONCURRENCY);
    const engines = new Map<string, HollowEngine>();
    await Promise.all(
      nodes.map((node) =>
        limit(async () => {
          const record: AgentRecord = { node, sweeps: 0, errors: 0 };
          records.set(node, record);
          const engine = new HollowEngine(
            node,
            held.get(node)!,
            {
              containersPerOwner: CONTAINERS_PER_OWNER,
              foreignContainers: FOREIGN_CONTAINERS,
              createdAt: Date.now() - 3_600_000,
            },
            onRemove,
          );
          engines.set(node, engine);
          const parsed = controllerConfig({
            nodeName: node,
            httpAddress: '127.0.0.1:0',
            logLevel: 'warn',
            role: 'agent',
          });
          if (!parsed.ok) throw new Error(parsed.problems.join('; '));
          managers.push(await startManager(parsed.config, recordingLogger(record), kubeConfig, { engine }));
        }),
      ),
    );
    const firstSweepTimeoutMs = Math.max(900_000, agentCount * 1_200);
    await eventually('every agent’s first sweep', () => [...records.values()].every((r) => r.sweeps > 0), {
      timeoutMs: firstSweepTimeoutMs,
      intervalMs: 250,
    }).catch((err: Error) => {
      const swept = [...records.values()].filter((r) => r.sweeps > 0).length;
      throw new Error(`${err.message} (${swept} of ${agentCount} had swept)`);
    });
    const startSeconds = (performance.now() - started) / 1000;
    console.error(`fleet: ${agentCount} agents swept once in ${startSeconds.toFixed(0)} s; settling`);
    // Idle means settled: the summary writer has given every owner its first status (one write per
    // owner at install, drained at the client's QPS budget) and nothing has been written since.
    const settle = await phase(() => untilOwnerStatusQuiet());
    console.error(
      `fleet: owner status settled in ${settle.seconds.toFixed(0)} s (${settle.writes.get(OWNER_STATUS_WRITE) ?? 0} owner status writes)`,
    );

    const runStart = apiserverMetrics();
    console.error(`fleet: idle for ${IDLE_MS / 1000} s`);
    const idle = await phase(async () => sleep(IDLE_MS));
    const reportWatchers = longRunning(apiserverMetrics(), 'WATCH', 'reapnodereports');
    const rssBytes = process.memoryUsage().rss;

    console.error(`fleet: deleting ${BURST} owners`);
    const victims = owners.slice(0, BURST);
    // Each owner's resources sit on one node: its containers and its network.
    const expected = new Map(victims.map((o) => [o.uid, CONTAINERS_PER_OWNER + 1]));
    let timedOut = 0;
    let burstRetries = 0;
    const burst = await phase(async () => {
      const deleteLimit = pLimit(10);
      await Promise.all(
        victims.map((owner) =>
          deleteLimit(async () => {
            deleted.set(owner.uid, Date.now());
            await retried(
              () => cluster.deleteOwner(owner),
              () => burstRetries++,
            );
          }),
        ),
      );
      const gone = () => {
        const removedOf = new Map<string, number>();
        for (const r of removals) {
          const key = r.resource.labels['reaper.dev/owner-uid']!;
          removedOf.set(key, (removedOf.get(key) ?? 0) + 1);
        }
        return [...expected].every(([key, n]) => (removedOf.get(key) ?? 0) >= n);
      };
      await eventually('every deleted owner’s resources gone on every node', gone, {
        timeoutMs: BURST_TIMEOUT_MS,
        intervalMs: 250,
      }).catch((err: Error) => {
        timedOut = 1;
        console.error(`fleet: ${err.message}`);
      });
    });
    // An owner not gone everywhere by the timeout counts as the timeout.
    const goneMs = victims.map((owner) => {
      const times = removals.filter((r) => r.resource.labels['reaper.dev/owner-uid'] === owner.uid).map((r) => r.at);
      if (times.length < expected.get(owner.uid)!) return BURST_TIMEOUT_MS;
      return Math.max(...times) - deleted.get(owner.uid)!;
    });
    const runEnd = apiserverMetrics();
    const sizes = await retried(
      () => objectSizes(cluster, policyName, namespace),
      () => undefined,
      10,
      true,
    );
    const agentErrors = [...records.values()].reduce((n, r) => n + r.errors, 0);
    return {
      agents: agentCount,
      startSeconds,
      settle,
      idle,
      reportWatchers,
      burst: { ...burst, goneMs, timedOut, retries: burstRetries },
      sizes,
      writeP99Ms: writeLatencyP99(runStart, runEnd) * 1000,
      violations,
      agentErrors,
      rssBytes,
    };
  } finally {
    console.error('fleet: stopping the agents');
    await cleanUp();
  }
}

const OWNER_STATUS_WRITE = 'APPLY topologies/status';
const QUIET_MS = 3 * SUMMARY_PERIOD_S * 1000;
const SETTLE_TIMEOUT_MS = 1_800_000;

/** Until no owner status was written for three summary periods. */
async function untilOwnerStatusQuiet(): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let last = -1;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    const written = writesByCall(apiserverMetrics()).get(OWNER_STATUS_WRITE) ?? 0;
    if (written !== last) {
      last = written;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= QUIET_MS) {
      return;
    }
    await sleep(5_000);
  }
  throw new Error(`owner status writes did not stop within ${SETTLE_TIMEOUT_MS / 1000} s`);
}

/** Long-running requests (watches) open now for a resource, as the API server's gauge says. */
function longRunning(metrics: Metrics, verb: string, resource: string): number {
  let open = 0;
  for (const [key, value] of metrics) {
    if (!key.startsWith('apiserver_longrunning_requests{')) continue;
    if (label(key, 'verb') === verb && label(key, 'resource') === resource) open += value;
  }
  return open;
}

/** What the API server did while `during` ran. */
async function phase(during: () => Promise<unknown>): Promise<Phase> {
  const before = apiserverMetrics();
  const t0 = performance.now();
  await during();
  const seconds = (performance.now() - t0) / 1000;
  const after = apiserverMetrics();
  return {
    seconds,
    writes: diff(writesByCall(after), writesByCall(before)),
    watchEvents: diff(watchEventsByKind(after), watchEventsByKind(before)),
    watchBytes: sum(after, 'apiserver_watch_events_sizes_sum') - sum(before, 'apiserver_watch_events_sizes_sum'),
    apiserverCpuSeconds: sum(after, 'process_cpu_seconds_total') - sum(before, 'process_cpu_seconds_total'),
  };
}

function writesByCall(metrics: Metrics): Map<string, number> {
  const calls = new Map<string, number>();
  for (const [key, value] of metrics) {
    if (!key.startsWith('apiserver_request_total{')) continue;
    const verb = label(key, 'verb');
    if (!WRITE_VERBS.has(verb)) continue;
    const resource = label(key, 'resource');
    const subresource = label(key, 'subresource');
    const call = `${verb} ${resource}${subresource ? `/${subresource}` : ''}`;
    calls.set(call, (calls.get(call) ?? 0) + value);
  }
  return calls;
}

function watchEventsByKind(metrics: Metrics): Map<string, number> {
  const events = new Map<string, number>();
  for (const [key, value] of metrics) {
    if (!key.startsWith('apiserver_watch_events_total{')) continue;
    const kind = label(key, 'kind') || label(key, 'resource');
    events.set(kind, (events.get(kind) ?? 0) + value);
  }
  return events;
}

/** p99 of write requests from apiserver_request_duration_seconds, between two scrapes. */
function writeLatencyP99(before: Metrics, after: Metrics): number {
  const buckets = new Map<number, number>();
  for (const [key, value] of after) {
    if (!key.startsWith('apiserver_request_duration_seconds_bucket{')) continue;
    if (!WRITE_VERBS.has(label(key, 'verb'))) continue;
    const le = label(key, 'le');
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + value - (before.get(key) ?? 0));
  }
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return 0;
  const rank = total * 0.99;
  let previous = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank) return bound === Infinity ? previous : bound;
    previous = bound;
  }
  return previous;
}

async function objectSizes(cluster: BenchCluster, policyName: string, namespace: string): Promise<Sizes> {
  const bytes = (object: unknown) => Buffer.byteLength(JSON.stringify(object));
  const policy = await cluster.custom.getClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: 'reappolicies',
    name: policyName,
  });
  const reports = (await cluster.custom
    .listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'reapnodereports' })
    .catch(() => ({ items: [] }))) as { items: unknown[] };
  const reportSizes = reports.items.map(bytes);
  const owners = (await cluster.custom.listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: 'topologies',
    namespace,
  })) as { items: unknown[] };
  const ownerSizes = owners.items.map(bytes);
  return {
    policyBytes: bytes(policy),
    nodeReports: {
      count: reportSizes.length,
      totalBytes: reportSizes.reduce((a, b) => a + b, 0),
      maxBytes: Math.max(0, ...reportSizes),
    },
    ownerMeanBytes: ownerSizes.length > 0 ? ownerSizes.reduce((a, b) => a + b, 0) / ownerSizes.length : 0,
  };
}

function report(results: ScaleResult[]): BenchReport {
  const rows = results.map((r) => {
    const idleWrites = total(r.idle.writes) / r.idle.seconds;
    const burstWrites = total(r.burst.writes);
    return [
      String(r.agents),
      `${(r.sizes.policyBytes / KIB).toFixed(1)} KiB`,
      `${r.sizes.nodeReports.count} × ${(r.sizes.nodeReports.maxBytes / KIB).toFixed(1)} KiB max`,
      `${(r.sizes.ownerMeanBytes / KIB).toFixed(1)} KiB`,
      idleWrites.toFixed(2),
      `${burstWrites} in ${r.burst.seconds.toFixed(0)} s`,
      (total(r.idle.watchEvents) / r.agents / r.idle.seconds).toFixed(2),
      `${(r.idle.watchBytes / r.agents / r.idle.seconds / KIB).toFixed(1)} KiB/s`,
      `${(total(r.burst.watchEvents) / r.agents).toFixed(0)} / ${(r.burst.watchBytes / r.agents / KIB).toFixed(0)} KiB`,
      `${r.idle.apiserverCpuSeconds.toFixed(1)} / ${r.burst.apiserverCpuSeconds.toFixed(1)}`,
      `${fmtMs(median(r.burst.goneMs))} / ${fmtMs(percentile(r.burst.goneMs, 99))}`,
      fmtMs(r.writeP99Ms),
      String(r.violations.length),
    ];
  });
  const detail = results.map(
    (r) =>
      `${r.agents} agents: started and swept once in ${r.startSeconds.toFixed(0)} s; owner status settled ${r.settle.seconds.toFixed(0)} s later after ${describeCalls(top(r.settle.writes))}; idle writes ${describeCalls(
        top(r.idle.writes),
        r.idle.seconds,
      )} a second; burst writes ${describeCalls(top(r.burst.writes))}; watch events delivered idle ${describeCalls(
        top(r.idle.watchEvents),
        r.idle.seconds,
      )} a second, in the burst ${describeCalls(top(r.burst.watchEvents))}; agent errors logged ${r.agentErrors}; ` +
      `the hollow agents' process ${(r.rssBytes / KIB / KIB).toFixed(0)} MiB resident` +
      (r.burst.timedOut ? '; the burst timed out' : '') +
      (r.burst.retries > 0
        ? `; the API server refused or timed out ${r.burst.retries} owner deletions (retried)`
        : '') +
      (r.violations.length > 0 ? `; VIOLATIONS: ${r.violations.slice(0, 5).join('; ')}` : ''),
  );
  const largest = results.at(-1)!;
  const extrapolate = (f: (r: ScaleResult) => number) =>
    fitAt(
      results.map((r) => ({ x: r.agents, y: f(r) })),
      5000,
    );
  const notes = [
    `Extrapolated to 5,000 agents (linear fit over the scales run): ReapPolicy ${(
      extrapolate((r) => r.sizes.policyBytes) / KIB
    ).toFixed(1)} KiB, idle writes ${extrapolate((r) => total(r.idle.writes) / r.idle.seconds).toFixed(2)}/s, ` +
      `watch events per agent idle ${extrapolate((r) => total(r.idle.watchEvents) / r.agents / r.idle.seconds).toFixed(2)}/s.`,
  ];
  const reportWrites = (calls: Map<string, number>) =>
    [...calls].filter(([call]) => call.includes(' reapnodereports')).reduce((n, [, v]) => n + v, 0);
  const summaryWrites = (calls: Map<string, number>) => calls.get('APPLY reappolicies/status') ?? 0;
  const holders = Math.min(BURST, largest.agents);
  const idleReportRate = reportWrites(largest.idle.writes) / largest.idle.seconds;
  const burstReportWrites = reportWrites(largest.burst.writes) - idleReportRate * largest.burst.seconds;
  const reportEvents = [...largest.burst.watchEvents, ...largest.idle.watchEvents]
    .filter(([kind]) => kind.startsWith('reapnodereport'))
    .reduce((n, [, v]) => n + v, 0);
  const allReportWrites = reportWrites(largest.burst.writes) + reportWrites(largest.idle.writes);
  const targets: Target[] = [
    {
      what: `at ${largest.agents} agents: ${BURST} owner deletions cost report writes only from the ${holders} agents holding their resources (at most two each, beyond the idle rate), plus the summary's`,
      measured: `${burstReportWrites.toFixed(0)} report writes beyond the idle rate; ${summaryWrites(largest.burst.writes)} summary writes in ${largest.burst.seconds.toFixed(0)} s`,
      met:
        burstReportWrites <= 2 * holders &&
        summaryWrites(largest.burst.writes) <= largest.burst.seconds / SUMMARY_PERIOD_S + 2,
    },
    {
      // The garbage collector in kube-controller-manager watches every resource; the summary writer
      // is the only other reader of reports. A watching agent would add one watch per agent.
      what: `at ${largest.agents} agents: no agent receives another agent's writes (reports are watched by the summary writer and the garbage collector alone)`,
      measured: `${largest.reportWatchers} report watches open; ${reportEvents} report watch events delivered for ${allReportWrites} report writes`,
      met: largest.reportWatchers <= 2,
    },
    {
      what: `at ${largest.agents} agents: the ReapPolicy object under 64 KiB`,
      measured: `${(largest.sizes.policyBytes / KIB).toFixed(1)} KiB`,
      met: largest.sizes.policyBytes < 64 * KIB,
    },
    {
      what: `at ${largest.agents} agents: idle writes to the API server under 5 a second in total`,
      measured: `${(total(largest.idle.writes) / largest.idle.seconds).toFixed(2)}/s`,
      met: total(largest.idle.writes) / largest.idle.seconds < 5,
    },
    {
      what: `at ${largest.agents} agents: every write's p99 under 1 s`,
      measured: fmtMs(largest.writeP99Ms),
      met: largest.writeP99Ms < 1000,
    },
    {
      what: 'no live owner’s resource is ever removed',
      measured: `${results.reduce((n, r) => n + r.violations.length, 0)} removals of a live owner’s resources`,
      met: results.every((r) => r.violations.length === 0),
    },
  ];
  return {
    setup: [
      `${OWNERS} Topologies in one namespace, owner i on node i mod N; each hollow engine: ${CONTAINERS_PER_OWNER} containers and a network per owner it holds, ${FOREIGN_CONTAINERS} foreign containers`,
      `one ReapPolicy (minAge 0, gracePeriod 0, other limits default); idle phase ${IDLE_MS / 1000} s once owner status writes had stopped for ${QUIET_MS / 1000} s; burst: ${BURST} owners deleted, 10 at a time`,
    ],
    sections: [
      table(
        [
          'agents',
          'ReapPolicy',
          'per-node reports',
          'owner (mean)',
          'idle writes/s',
          'burst writes',
          'idle watch events/s per agent',
          'idle watch bytes per agent',
          'burst events / bytes per agent',
          'apiserver CPU s idle / burst',
          'deletion → gone p50 / p99',
          'write p99',
          'live removed',
        ],
        rows,
      ),
      detail.join('\n\n'),
    ],
    targets,
    notes,
  };
}

function recordingLogger(record: AgentRecord, component = 'controller'): Logger {
  const log = (level: string) => (msg: string, fields?: LogFields) => {
    if (msg === 'sweep finished') record.sweeps++;
    if (level === 'error') {
      record.errors++;
      if (record.errors <= 3)
        console.error(`fleet: ${record.node} ${component}: ${msg} ${JSON.stringify(fields ?? {})}`);
    }
  };
  return {
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: () => undefined,
    child: (name) => recordingLogger(record, name),
  };
}

function label(key: string, name: string): string {
  return new RegExp(`[{,]${name}="([^"]*)"`).exec(key)?.[1] ?? '';
}

function sum(metrics: Metrics, name: string): number {
  let total = 0;
  for (const [key, value] of metrics) if (key === name || key.startsWith(`${name}{`)) total += value;
  return total;
}

function diff(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const result = new Map<string, number>();
  for (const [key, n] of after) {
    const d = n - (before.get(key) ?? 0);
    if (d > 0) result.set(key, d);
  }
  return result;
}

const total = (calls: Map<string, number>) => [...calls.values()].reduce((a, b) => a + b, 0);

/** The largest few entries: the rest are the control plane's own chatter. */
const top = (calls: Map<string, number>, n = 6) => new Map([...calls].sort((a, b) => b[1] - a[1]).slice(0, n));

function fitAt(points: { x: number; y: number }[], x: number): number {
  if (points.length === 1) return (points[0]!.y / points[0]!.x) * x;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return my + slope * (x - mx);
}

/** The API server saturated by a fleet answers 429 or 504 for a while: the benchmark's own calls try again. */
async function retried<T>(call: () => Promise<T>, onRetry: () => void, attempts = 10, anyError = false): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const code = (err as { code?: number }).code;
      const busy = code === 429 || code === 504 || code === 500;
      if (attempt >= attempts || !(busy || anyError)) throw err;
      onRetry();
      await sleep(1_000 * attempt);
    }
  }
}
