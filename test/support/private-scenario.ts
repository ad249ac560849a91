// Controller tests on a control plane of their own (test/support/extra-apiserver.ts). On the shared
// API server other tests' agents sweep only their own policies (their policy selector), but they
// still watch every owner of the kinds those name (and write its status), and an outage or a metric
// of the API server would be everyone's. Here only the test's own controllers are there at all.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { ControllerOptions, ControllerProcess } from './controller-process.js';
import { startController } from './controller-process.js';
import type { ExtraApiServer } from './extra-apiserver.js';
import { repoRoot } from './kubectl.js';
import { eventually } from './eventually.js';
import type { ScenarioOptions } from './scenario.js';
import { ControllerScenario } from './scenario.js';

/** A scenario whose API calls go to `server` instead of the shared API server; reaper's CRDs installed there. */
export function scenarioOn(server: ExtraApiServer, label: string, options: ScenarioOptions = {}): ControllerScenario {
  const crds = path.join(repoRoot, 'crds');
  execFileSync('kubectl', ['--kubeconfig', server.kubeconfigPath, 'apply', '--server-side', '-f', crds]);
  execFileSync('kubectl', [
    '--kubeconfig',
    server.kubeconfigPath,
    'wait',
    '--for=condition=Established',
    '--timeout=120s',
    '-f',
    crds,
  ]);
  const shared = process.env.KUBECONFIG;
  // ControllerScenario builds its client from KUBECONFIG when constructed; the variable is put back
  // at once so nothing else in this worker sees the change. (Jest's `process.env` is the test's own
  // copy: child processes never saw it, which is why the CRDs are installed above, explicitly.)
  process.env.KUBECONFIG = server.kubeconfigPath;
  try {
    return new ControllerScenario(label, options);
  } finally {
    process.env.KUBECONFIG = shared;
  }
}

/**
 * Waits until every API server serves reaper's kinds: Established is set once, by one of them,
 * and another may still answer 404 for a while.
 */
export async function waitUntilServed(servers: readonly ExtraApiServer[]): Promise<void> {
  for (const server of servers) {
    for (const plural of ['reappolicies', 'topologies', 'sandboxes', 'reapnodereports']) {
      let last = '';
      await eventually(
        `${server.url} to serve ${plural}`,
        async () => {
          const answer = await server.get(`/apis/reaper.dev/v1alpha1/${plural}?limit=1`).catch((err: Error) => ({
            status: 0,
            body: err.message,
          }));
          last = `${answer.status} ${answer.body.slice(0, 200)}`;
          return answer.status === 200;
        },
        60_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; last answer: ${last}`);
      });
    }
  }
}

/** `reaper run` connected to `server`. */
export function startControllerOn(server: ExtraApiServer, options: ControllerOptions): Promise<ControllerProcess> {
  return startController({ ...options, env: { ...options.env, KUBECONFIG: server.kubeconfigPath } });
}

/** One sample of a Prometheus text exposition: `name{labels} value`, matched on the labels given. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}
