// `reaper run` as it runs in a pod: the image's bundle (scripts/bundle.ts) or the npm package's
// compiled JavaScript, on plain node, not through a TypeScript loader, so its memory and CPU are
// the product's. Either is written into a temporary directory, never into the repository.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControllerProcess } from '../../test/support/controller-process.js';
import { launchController } from '../../test/support/controller-process.js';
import { bundleAgent } from '../../scripts/bundle.js';
import { repoRoot } from '../../test/support/kubectl.js';

const REPO = repoRoot;

/** A node executable with the flags it is started with, and the environment it gets besides. */
export interface NodeRuntime {
  readonly path: string;
  readonly flags: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The node executable the image runs (scripts/build-image fetches it once), with its version, the
 * flags the image's entrypoint gives it and the environment the image sets.
 */
export function imageNode(): NodeRuntime & { version: string } {
  const script = path.join(REPO, 'scripts', 'build-image');
  const nodePath = execFileSync(script, ['node'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const version = execFileSync(nodePath, ['--version'], { encoding: 'utf8' }).trim();
  // ["node", ...flags, "/app/reaper/main.js"]
  const entrypoint = JSON.parse(execFileSync(script, ['entrypoint'], { encoding: 'utf8' })) as string[];
  const env = JSON.parse(execFileSync(script, ['env'], { encoding: 'utf8' })) as Record<string, string>;
  return { path: nodePath, version, flags: entrypoint.slice(1, -1), env };
}

/** The bundle the image runs (scripts/bundle.ts), in a temporary directory. */
export async function bundleController(): Promise<{ main: string; remove(): void }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'reaper-bench-bundle-'));
  try {
    const { main } = await bundleAgent(dir);
    return { main, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** How a record says the agent ran: the bundle, on the image's node with its flags and environment. */
export function describeImageAgent(node: NodeRuntime & { version: string }): string {
  const env = Object.entries(node.env ?? {}).map(([name, value]) => `${name}=${value}`);
  return (
    `\`reaper run\` bundled as the image runs it (scripts/bundle.ts), on the image's node (${node.version}) ` +
    `with its entrypoint's flags (${node.flags.join(' ') || 'none'}) and environment (${env.join(' ') || 'none'})`
  );
}

/** Compiles src/ and controllers/ with the build's tsconfig (the npm package) into a temporary directory. */
export function buildController(): { main: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'reaper-bench-build-'));
  try {
    execFileSync(
      path.join(REPO, 'node_modules', '.bin', 'tsc'),
      ['-p', path.join(REPO, 'tsconfig.build.json'), '--outDir', path.join(dir, 'dist'), '--sourceMap', 'false'],
      { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    // ESM needs the package's "type"; dependencies resolve through the repository's node_modules.
    copyFileSync(path.join(REPO, 'package.json'), path.join(dir, 'package.json'));
    symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    main: path.join(dir, 'dist', 'controllers', 'main.js'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Starts the compiled `reaper run` with KUBECONFIG and DOCKER_HOST from this process's environment,
 * on the given node executable with its flags (this process's by default; imageNode() for the
 * image's).
 */
export function startBuiltController(
  main: string,
  nodeName: string,
  args: string[] = [],
  node: NodeRuntime = { path: process.execPath, flags: [] },
): Promise<ControllerProcess> {
  return launchController({
    node: node.path,
    // REAPER_BENCH_AGENT_FLAGS: node flags for the agent alone, e.g. to profile it (--cpu-prof).
    entry: [...node.flags, ...(process.env.REAPER_BENCH_AGENT_FLAGS?.split(' ').filter(Boolean) ?? []), main],
    args: ['--node-name', nodeName, '--http-address', '127.0.0.1:0', '--log-level', 'info', ...args],
    env: { ...process.env, ...node.env },
    startTimeoutMs: 120_000,
  });
}

export async function metricsOf(controller: ControllerProcess): Promise<Metrics> {
  return parseMetrics((await controller.get('/metrics')).body);
}

/** Resident memory and CPU time of a process, from /proc. */
export interface ProcSample {
  readonly at: number;
  readonly rssBytes: number;
  /** User plus system CPU time, in seconds. */
  readonly cpuSeconds: number;
}

const CLOCK_TICKS = 100;

export function procSample(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/^VmRSS:\s*(\d+)\s*kB/m.exec(status)?.[1] ?? NaN);
  // Fields after the command name (which may hold spaces), counted from field 3 (state).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime (14), stime (15)
  return { at: performance.now(), rssBytes: rssKiB * 1024, cpuSeconds: ticks / CLOCK_TICKS };
}

/**
 * Waits until the process uses under 5% of a core over `stepMs` (its start-up or catch-up work
 * done), at most `maxMs`; returns how long that took.
 */
export async function settle(pid: number, stepMs: number, maxMs: number): Promise<number> {
  const t0 = performance.now();
  let last = procSample(pid);
  while (performance.now() - t0 < maxMs) {
    await sleep(stepMs);
    const now = procSample(pid);
    if ((now.cpuSeconds - last.cpuSeconds) / ((now.at - last.at) / 1000) < 0.05) break;
    last = now;
  }
  return performance.now() - t0;
}

/** Prometheus text: sample name with labels -> value. */
export type Metrics = Map<string, number>;

export function parseMetrics(text: string): Metrics {
  const metrics: Metrics = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const value = Number(line.slice(space + 1));
    if (!Number.isNaN(value)) metrics.set(line.slice(0, space), value);
  }
  return metrics;
}

/** Sum of every sample of a metric whose labels satisfy the filter. */
export function sumOf(metrics: Metrics, name: string, filter: (labels: string) => boolean = () => true): number {
  let sum = 0;
  for (const [key, value] of metrics) {
    const brace = key.indexOf('{');
    const metric = brace < 0 ? key : key.slice(0, brace);
    if (metric === name && filter(brace < 0 ? '' : key.slice(brace))) sum += value;
  }
  return sum;
}
