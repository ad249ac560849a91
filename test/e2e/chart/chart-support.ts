// helm and kubectl as an operator runs them against the test environment's API server, plus the
// pieces the chart tests share: rendering, server-side dry runs, ServiceAccount tokens and
// `kubectl auth can-i` tables.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { requiredEnv, uniqueName } from '../../support/engines.js';
import { chartDir, kubectl, repoRoot } from '../../support/kubectl.js';

export { chartDir };

/** The example values files under charts/reaper/ci, by file name. */
export const valuesFiles = readdirSync(path.join(chartDir, 'ci'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], input?: string): RunResult {
  requiredEnv('KUBECONFIG');
  const result = spawnSync(command, args, { encoding: 'utf8', input, cwd: repoRoot, maxBuffer: 64 << 20 });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** helm, failing the test with helm's own words when it fails. */
export function helm(args: string[]): string {
  const result = run('helm', args);
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed (${result.code}):\n${result.stderr}`);
  return result.stdout;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    uid?: string;
    generation?: number;
  };
  [field: string]: unknown;
}

export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJS() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null);
}

/** `helm template` of the chart as YAML text. */
export function template(release: string, namespace: string, args: string[] = []): string {
  return helm(['template', release, chartDir, '--namespace', namespace, ...args]);
}

/** One object of a rendered manifest, by kind and name. */
export function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) {
    const have = objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ');
    throw new Error(`no ${kind}/${name} rendered; rendered: ${have}`);
  }
  return found;
}

/** Sends a manifest to the API server as a server-side dry run with strict field validation. */
export function dryRunApply(manifest: string, namespace?: string): RunResult {
  return run(
    'kubectl',
    ['apply', '--dry-run=server', '--validate=strict', ...(namespace ? ['-n', namespace] : []), '-f', '-'],
    manifest,
  );
}

export function createNamespace(prefix: string, labels: Record<string, string> = {}): string {
  const name = uniqueName(prefix);
  kubectl(['create', 'namespace', name]);
  if (Object.keys(labels).length > 0) {
    kubectl(['label', 'namespace', name, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  }
  return name;
}

export function deleteNamespace(name: string): void {
  kubectl(['delete', 'namespace', name, '--ignore-not-found', '--wait=false']);
}

/** `kubectl auth can-i VERB RESOURCE [flags]` as the ServiceAccount: true for "yes". */
export function canI(serviceAccount: string, verb: string, resource: string, flags: string[] = []): boolean {
  const result = run('kubectl', ['auth', 'can-i', verb, resource, `--as=${serviceAccount}`, ...flags]);
  const answer = result.stdout.trim();
  if (answer !== 'yes' && answer !== 'no') {
    throw new Error(`kubectl auth can-i ${verb} ${resource} ${flags.join(' ')}: ${result.stdout}${result.stderr}`);
  }
  return answer === 'yes';
}

/**
 * The resource rules of `kubectl auth can-i --list` as the ServiceAccount in a namespace, one
 * "resource [names] verbs" line each, sorted; the non-resource URLs every identity may GET
 * (discovery, health, version) are left out.
 */
export function resourceRules(serviceAccount: string, namespace: string): string[] {
  const out = kubectl(['auth', 'can-i', '--list', `--as=${serviceAccount}`, '-n', namespace]);
  const rules: string[] = [];
  for (const line of out.split('\n').slice(1)) {
    const m = /^(\S+)\s+\[\]\s+\[([^\]]*)\]\s+\[([^\]]*)\]$/.exec(line.trim());
    if (!m) continue; // non-resource URL rows start with '[': not a resource rule
    const [, resource, names, verbs] = m;
    rules.push(`${resource} [${names}] ${verbs!.split(' ').sort().join(',')}`);
  }
  return rules.sort();
}

/** The rules every authenticated identity has (system:basic-user), which the chart does not grant. */
export const BASIC_USER_RULES = [
  'selfsubjectaccessreviews.authorization.k8s.io [] create',
  'selfsubjectreviews.authentication.k8s.io [] create',
  'selfsubjectrulesreviews.authorization.k8s.io [] create',
];

let access: { server: string; caFile: string } | undefined;

/** The API server's URL and CA file from the test kubeconfig, to build other credentials on. */
export function clusterAccess(): { server: string; caFile: string } {
  if (access) return access;
  const config = parse(readFileSync(requiredEnv('KUBECONFIG'), 'utf8')) as {
    clusters: {
      cluster: { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string };
    }[];
  };
  const cluster = config.clusters[0]!.cluster;
  let caFile = cluster['certificate-authority'];
  if (!caFile) {
    caFile = path.join(mkdtempSync(path.join(tmpdir(), 'reaper-ca-')), 'ca.crt');
    writeFileSync(caFile, Buffer.from(cluster['certificate-authority-data']!, 'base64'));
  }
  access = { server: cluster.server, caFile };
  return access;
}

/** A short-lived token of the ServiceAccount, from the TokenRequest API. */
export function serviceAccountToken(namespace: string, name: string, duration = '1h'): string {
  return kubectl(['create', 'token', name, '-n', namespace, `--duration=${duration}`]).trim();
}

/** A kubeconfig that authenticates as the ServiceAccount with a token, and nothing else. */
export function serviceAccountKubeconfig(dir: string, namespace: string, name: string): string {
  const { server, caFile } = clusterAccess();
  const token = serviceAccountToken(namespace, name);
  const file = path.join(dir, `${name}.kubeconfig`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server, 'certificate-authority': caFile } }],
      users: [{ name, user: { token } }],
      contexts: [{ name, context: { cluster: 'test', user: name, namespace } }],
      'current-context': name,
    }),
    { mode: 0o600 },
  );
  return file;
}

/** Whether kubectl finds the object (false on NotFound; other errors throw). */
export function exists(kind: string, name: string, namespace?: string): boolean {
  const result = run('kubectl', ['get', kind, name, '-o', 'name', ...(namespace ? ['-n', namespace] : [])]);
  if (result.code === 0) return true;
  if (/NotFound|not found/.test(result.stderr)) return false;
  throw new Error(`kubectl get ${kind} ${name}: ${result.stderr}`);
}

export function getObject(kind: string, name: string, namespace?: string): KubeObject {
  return JSON.parse(kubectl(['get', kind, name, '-o', 'json', ...(namespace ? ['-n', namespace] : [])])) as KubeObject;
}
