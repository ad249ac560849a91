// The chart rendered with its defaults and with every example values file (charts/reaper/ci):
// helm lint, what each render holds, every render accepted by the real API server in a server-side
// dry run, the values schema refusing bad values with the path at fault, and the chart's CRDs
// byte-identical to crds/.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { installCrds, repoRoot } from '../../support/kubectl.js';
import type { KubeObject } from './chart-support.js';
import {
  chartDir,
  createNamespace,
  deleteNamespace,
  dryRunApply,
  find,
  helm,
  parseObjects,
  run,
  template,
  valuesFiles,
} from './chart-support.js';

const release = 'rr';
const fullname = 'rr-reaper';
const ciFile = (file: string) => path.join(chartDir, 'ci', file);

interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: string } };
  readinessProbe?: { httpGet?: { path: string; port: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  serviceAccountName?: string;
  containers: Container[];
  volumes?: { name: string; hostPath?: { path: string; type?: string }; secret?: { secretName: string } }[];
  securityContext?: Record<string, unknown>;
  nodeSelector?: Record<string, string>;
  tolerations?: unknown[];
  priorityClassName?: string;
}
interface Workload extends KubeObject {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    updateStrategy?: { type: string };
    strategy?: { type: string };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const renders: Record<string, KubeObject[]> = {};
function rendered(file?: string, extra: string[] = []): KubeObject[] {
  const key = `${file ?? '(defaults)'} ${extra.join(' ')}`;
  renders[key] ??= parseObjects(template(release, 'reaper-system', [...(file ? ['-f', ciFile(file)] : []), ...extra]));
  return renders[key]!;
}
const agent = (objects: KubeObject[], kind = 'DaemonSet') => find(objects, kind, fullname) as Workload;
const env = (c: Container, name: string) => c.env?.find((e) => e.name === name);

describe('helm lint', () => {
  test.each(['(defaults)', ...valuesFiles])('passes with %s', (file) => {
    const out = helm(['lint', '--strict', chartDir, ...(file === '(defaults)' ? [] : ['-f', ciFile(file)])]);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });
});

describe('helm template with the default values', () => {
  const objects = () => rendered();

  test('renders the agent DaemonSet, the summary Deployment, their ServiceAccount and RBAC, the metrics Service, and hooks only', () => {
    const plain = objects()
      .filter((o) => !o.metadata.annotations?.['helm.sh/hook'])
      .map((o) => `${o.kind}/${o.metadata.name}`)
      .sort();
    expect(plain).toEqual([
      `ClusterRole/${fullname}`,
      `ClusterRoleBinding/${fullname}`,
      `DaemonSet/${fullname}`,
      `Deployment/${fullname}-summary`,
      `FlowSchema/${fullname}`,
      `PriorityLevelConfiguration/${fullname}`,
      `Role/${fullname}-leader-election`,
      `RoleBinding/${fullname}-leader-election`,
      `Service/${fullname}-metrics`,
      `ServiceAccount/${fullname}`,
    ]);
    const hooks = objects()
      .filter((o) => o.metadata.annotations?.['helm.sh/hook'])
      .map((o) => `${o.metadata.annotations!['helm.sh/hook']} ${o.kind}/${o.metadata.name}`)
      .sort();
    expect(hooks).toEqual([
      `post-delete ClusterRole/${fullname}-uninstall`,
      `post-delete ClusterRoleBinding/${fullname}-uninstall`,
      `post-delete ConfigMap/${fullname}-uninstall`,
      `post-delete Job/${fullname}-uninstall`,
      `post-delete ServiceAccount/${fullname}-uninstall`,
      `test Pod/${fullname}-test`,
    ]);
  });

  test('one summary writer: a Deployment of its own, leader-elected, with no engine, no host path, not root', () => {
    const summary = find(objects(), 'Deployment', `${fullname}-summary`) as Workload;
    expect(summary.spec.replicas).toBe(1);
    const pod = summary.spec.template.spec;
    const [container] = pod.containers;
    expect(container!.args).toEqual([
      'run',
      '--role=summary',
      `--node-name=${fullname}-summary`,
      '--http-address=0.0.0.0:8080',
      '--log-level=info',
      '--summary-period=10s',
      '--stale-after=15m',
      '--leader-elect',
      '--leader-election-namespace=$(POD_NAMESPACE)',
      '--leader-election-id=reaper-summary',
      '--identity=$(POD_NAME)',
    ]);
    expect(env(container!, 'DOCKER_HOST')).toBeUndefined();
    expect((pod.volumes ?? []).filter((v) => v.hostPath)).toEqual([]);
    const role = find(objects(), 'Role', `${fullname}-leader-election`) as KubeObject & { rules: Rule[] };
    expect(role.rules[1]).toMatchObject({ resourceNames: ['reaper-summary'], verbs: ['get', 'update'] });
  });

  test('the DaemonSet mounts the Docker socket and the CNI lease store, and takes its node name from the downward API', () => {
    const ds = agent(objects());
    const pod = ds.spec.template.spec;
    const [container] = pod.containers;
    expect(pod.containers).toHaveLength(1);
    expect(container!.image).toBe('reaper:0.1.0');
    expect(container!.args).toEqual([
      'run',
      '--role=agent',
      '--node-name=$(NODE_NAME)',
      '--http-address=0.0.0.0:8080',
      '--log-level=info',
    ]);
    expect(env(container!, 'NODE_NAME')).toEqual({
      name: 'NODE_NAME',
      valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } },
    });
    expect(env(container!, 'POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.namespace');
    expect(env(container!, 'DOCKER_HOST')?.value).toBe('unix:///var/run/docker.sock');
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: 'docker-socket', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } },
        { name: 'cni-leases', hostPath: { path: '/var/lib/cni/networks', type: 'DirectoryOrCreate' } },
      ]),
    );
    expect(container!.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'docker-socket', mountPath: '/var/run/docker.sock' },
        { name: 'cni-leases', mountPath: '/var/lib/cni/networks' },
        { name: 'tmp', mountPath: '/tmp' },
      ]),
    );
    // The lease store is written (lease files are deleted): not read-only.
    expect(container!.volumeMounts!.find((m) => m.name === 'cni-leases')!.readOnly).toBeUndefined();
    expect(pod.serviceAccountName).toBe(fullname);
    expect(ds.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'reaper',
      'app.kubernetes.io/instance': release,
      'app.kubernetes.io/component': 'agent',
    });
    expect(ds.spec.template.metadata.labels).toMatchObject(ds.spec.selector.matchLabels);
    expect(ds.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
  });

  test('probes, resources and a securityContext as tight as a root-owned socket allows', () => {
    const pod = agent(objects()).spec.template.spec;
    const container = pod.containers[0]!;
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(Object.keys(container.resources!.requests!).sort()).toEqual(['cpu', 'memory']);
    expect(Object.keys(container.resources!.limits!).sort()).toEqual(['cpu', 'memory']);
    expect(container.securityContext).toEqual({
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });
  });

  test('the metrics Service selects the agents and no hook or test pod', () => {
    const service = find(objects(), 'Service', `${fullname}-metrics`) as KubeObject & {
      spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] };
    };
    expect(service.spec.selector).toEqual(agent(objects()).spec.selector.matchLabels);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
    for (const name of [`${fullname}-test`]) {
      const pod = find(objects(), 'Pod', name);
      expect(pod.metadata.labels!['app.kubernetes.io/component']).not.toBe('agent');
    }
    const job = find(objects(), 'Job', `${fullname}-uninstall`) as Workload;
    expect(job.spec.template.metadata.labels['app.kubernetes.io/component']).toBe('uninstall');
  });
});

describe('API Priority and Fairness', () => {
  type FlowSchema = KubeObject & {
    spec: {
      priorityLevelConfiguration: { name: string };
      matchingPrecedence: number;
      rules: { subjects: { kind: string; serviceAccount?: { name: string; namespace: string } }[] }[];
    };
  };

  test("every request of the agents' ServiceAccount goes to a priority level of its own, chosen before the built-in service-accounts schema", () => {
    const objects = rendered();
    const schema = find(objects, 'FlowSchema', fullname) as FlowSchema;
    const level = find(objects, 'PriorityLevelConfiguration', fullname) as KubeObject & {
      spec: { type: string; limited: { nominalConcurrencyShares: number; lendablePercent: number } };
    };
    expect(schema.spec.priorityLevelConfiguration.name).toBe(level.metadata.name);
    expect(schema.spec.matchingPrecedence).toBeLessThan(9000);
    expect(schema.spec.rules.flatMap((r) => r.subjects)).toEqual([
      { kind: 'ServiceAccount', serviceAccount: { name: fullname, namespace: 'reaper-system' } },
    ]);
    expect(level.spec).toMatchObject({
      type: 'Limited',
      limited: { nominalConcurrencyShares: 10, lendablePercent: 0 },
    });
  });

  test("policySelector becomes the agents' --policy-selector; empty, no flag at all", () => {
    const args = (extra: string[]) => agent(rendered(undefined, extra)).spec.template.spec.containers[0]!.args ?? [];
    expect(args(['--set-string', 'policySelector=reaper.dev/agents=nodes'])).toContain(
      '--policy-selector=reaper.dev/agents=nodes',
    );
    expect(args([]).some((a) => a.startsWith('--policy-selector'))).toBe(false);
  });

  test('flowControl.enabled=false leaves both out', () => {
    const kinds = rendered(undefined, ['--set', 'flowControl.enabled=false']).map((o) => o.kind);
    expect(kinds).not.toContain('FlowSchema');
    expect(kinds).not.toContain('PriorityLevelConfiguration');
  });
});

describe('helm template with the example values files', () => {
  test('deployment-values.yaml: a leader-elected Deployment for a remote engine, no hostPath, a Lease Role', () => {
    const objects = rendered('deployment-values.yaml');
    expect(objects.some((o) => o.kind === 'DaemonSet')).toBe(false);
    // The active replica writes the summary too: no Deployment of its own.
    expect(objects.filter((o) => o.kind === 'Deployment')).toHaveLength(1);
    const deployment = agent(objects, 'Deployment');
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0]!;
    expect(container.args).toEqual([
      'run',
      '--role=all',
      '--summary-period=10s',
      '--stale-after=15m',
      '--node-name=$(NODE_NAME)',
      '--http-address=0.0.0.0:8080',
      '--log-level=info',
      '--leader-elect',
      '--leader-election-namespace=$(POD_NAMESPACE)',
      '--leader-election-id=reaper-docker-example',
      '--identity=$(POD_NAME)',
    ]);
    expect(env(container, 'NODE_NAME')).toEqual({ name: 'NODE_NAME', value: 'docker-example-internal' });
    expect(env(container, 'DOCKER_HOST')?.value).toBe('tcp://docker.example.internal:2376');
    expect(env(container, 'DOCKER_CERT_PATH')?.value).toBe('/etc/reaper/docker-tls');
    expect(env(container, 'DOCKER_TLS_VERIFY')?.value).toBe('1');
    expect(pod.volumes!.filter((v) => v.hostPath)).toEqual([]);
    expect(pod.volumes).toContainEqual({
      name: 'docker-tls',
      secret: { secretName: 'docker-client-tls', defaultMode: 0o400 },
    });
    const role = find(objects, 'Role', `${fullname}-leader-election`) as KubeObject & { rules: Rule[] };
    expect(role.metadata.namespace).toBe('reaper-system');
    expect(role.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['reaper-docker-example'],
        verbs: ['get', 'update'],
      },
    ]);
    find(objects, 'RoleBinding', `${fullname}-leader-election`);
  });

  test('default-policy-values.yaml: the ReapPolicy from values, and read-only access to its extra owner kind', () => {
    const objects = rendered('default-policy-values.yaml');
    const policy = find(objects, 'ReapPolicy', 'platform') as KubeObject & { spec: Record<string, unknown> };
    const values = parse(readFileSync(ciFile('default-policy-values.yaml'), 'utf8')) as {
      defaultPolicy: { spec: Record<string, unknown> };
    };
    expect(policy.spec).toEqual(values.defaultPolicy.spec);
    expect(policy.metadata.labels).toMatchObject({ team: 'platform', 'app.kubernetes.io/instance': release });
    expect(policy.metadata.finalizers).toBeUndefined();
    const role = find(objects, 'ClusterRole', fullname) as KubeObject & { rules: Rule[] };
    expect(role.rules).toContainEqual({
      apiGroups: ['labs.example.com'],
      resources: ['labs'],
      verbs: ['get', 'list', 'watch'],
    });
  });

  test('servicemonitor-values.yaml: no ServiceMonitor where its CRD is not served, one where it is', () => {
    expect(rendered('servicemonitor-values.yaml').filter((o) => o.kind === 'ServiceMonitor')).toEqual([]);
    const withCrd = rendered('servicemonitor-values.yaml', [
      '--api-versions',
      'monitoring.coreos.com/v1/ServiceMonitor',
    ]);
    const monitor = find(withCrd, 'ServiceMonitor', fullname) as KubeObject & {
      spec: { selector: { matchLabels: Record<string, string> }; endpoints: Record<string, unknown>[] };
    };
    const service = find(withCrd, 'Service', `${fullname}-metrics`);
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '15s', scrapeTimeout: '10s' }]);
    expect(monitor.metadata.labels).toMatchObject({ release: 'prometheus' });
  });

  test('hardened-values.yaml: non-root with the docker group, no lease store, on every node', () => {
    const pod = agent(rendered('hardened-values.yaml')).spec.template.spec;
    expect(pod.containers[0]!.securityContext).toMatchObject({ runAsUser: 65532, runAsNonRoot: true });
    expect(pod.securityContext).toMatchObject({ supplementalGroups: [999] });
    expect(pod.volumes!.map((v) => v.name).sort()).toEqual(['docker-socket', 'tmp']);
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.priorityClassName).toBe('system-node-critical');
  });

  test('no render grants Secrets, delete (but on reaper’s own ReapNodeReports), or a wildcard, to the agents or to the uninstall hook', () => {
    const all = [
      rendered(),
      ...valuesFiles.map((f) => rendered(f)),
      rendered(undefined, ['--set-json', 'rbac.extraOwnerKinds=[{"apiGroup":"","resources":["pods"]}]']),
    ];
    let roles = 0;
    for (const objects of all) {
      for (const role of objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')) {
        roles++;
        for (const rule of (role as KubeObject & { rules: Rule[] }).rules) {
          expect(rule.resources).not.toContain('secrets');
          expect(rule.resources).not.toContain('*');
          expect(rule.apiGroups).not.toContain('*');
          for (const verb of ['deletecollection', '*', 'escalate', 'bind', 'impersonate']) {
            expect(rule.verbs).not.toContain(verb);
          }
          // An agent deletes its own report when its policy goes; the summary writer, those of nodes long gone.
          if (rule.verbs.includes('delete'))
            expect(rule).toMatchObject({ apiGroups: ['reaper.dev'], resources: ['reapnodereports'] });
        }
      }
    }
    expect(roles).toBeGreaterThanOrEqual(all.length * 2);
  });
});

describe('every render is valid for the real API server (server-side dry run, strict fields)', () => {
  let namespace = '';
  beforeAll(() => {
    installCrds();
    namespace = createNamespace('chart-dry');
  });
  afterAll(() => deleteNamespace(namespace));

  test.each(['(defaults)', ...valuesFiles])('%s', (file) => {
    const manifest = template(release, namespace, file === '(defaults)' ? [] : ['-f', ciFile(file)]);
    const result = dryRunApply(manifest, namespace);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const accepted = result.stdout.trim().split('\n');
    expect(accepted.length).toBe(parseObjects(manifest).length);
    for (const line of accepted) expect(line).toMatch(/ (created|configured|unchanged) \(server dry run\)$/);
  });

  test('Pod Security: the node agent needs a privileged namespace; hooks, test pod and a non-root Deployment pass restricted', () => {
    const baseline = createNamespace('chart-psa-baseline', { 'pod-security.kubernetes.io/enforce': 'baseline' });
    const restricted = createNamespace('chart-psa-restricted', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    try {
      const agentInBaseline = dryRunApply(template(release, baseline), baseline);
      expect(agentInBaseline.stderr).toMatch(
        /would violate PodSecurity "baseline:latest": hostPath volumes \(volumes "docker-socket", "cni-leases"\)/,
      );
      const nonRootDeployment = template(release, restricted, [
        '-f',
        ciFile('deployment-values.yaml'),
        '--set',
        'securityContext.runAsUser=65532,securityContext.runAsGroup=65532,securityContext.runAsNonRoot=true',
      ]);
      const result = dryRunApply(nonRootDeployment, restricted);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    } finally {
      deleteNamespace(baseline);
      deleteNamespace(restricted);
    }
  });
});

describe('values.schema.json and the cross-value checks refuse bad values with the path at fault', () => {
  const refusals: [string, string[], RegExp][] = [
    ['an unknown mode', ['--set', 'mode=Foo'], /at '\/mode': value must be one of 'DaemonSet', 'Deployment'/],
    [
      'a negative CPU request',
      ['--set', 'resources.requests.cpu=-100m'],
      /at '\/resources\/requests\/cpu': '-100m' does not match pattern/,
    ],
    [
      'a negative memory limit',
      ['--set', 'resources.limits.memory=-1'],
      /at '\/resources\/limits\/memory': minimum: got -1, want 0/,
    ],
    ['an unknown top-level key', ['--set', 'bogus=1'], /at '': additional properties 'bogus' not allowed/],
    [
      'a misspelt nested key',
      ['--set', 'docker.hots=tcp://x:1'],
      /at '\/docker': additional properties 'hots' not allowed/,
    ],
    [
      'a wildcard owner resource',
      ['--set', 'rbac.extraOwnerKinds[0].apiGroup=x.io', '--set', 'rbac.extraOwnerKinds[0].resources[0]=*'],
      /at '\/rbac\/extraOwnerKinds\/0\/resources\/0': '\*' does not match pattern/,
    ],
    [
      'a Docker host that is no URL',
      ['--set', 'docker.host=/var/run/docker.sock'],
      /at '\/docker\/host': '\/var\/run\/docker.sock' does not match pattern/,
    ],
    [
      'replicas as a string',
      ['--set-string', 'deployment.replicas=2'],
      /at '\/deployment\/replicas': got string, want integer/,
    ],
    [
      'an image pull policy Kubernetes does not know',
      ['--set', 'image.pullPolicy=Sometimes'],
      /at '\/image\/pullPolicy': value must be one of/,
    ],
    [
      'a policy mode the CRD does not know',
      ['--set', 'defaultPolicy.spec.mode=Reaping'],
      /at '\/defaultPolicy\/spec\/mode': value must be one of 'Reap', 'DryRun'/,
    ],
    [
      'a policy spec field the CRD does not know',
      ['--set', 'defaultPolicy.spec.dryRun=true'],
      /at '\/defaultPolicy\/spec': additional properties 'dryRun' not allowed/,
    ],
    [
      'core Secrets as an owner kind',
      ['--set-json', 'rbac.extraOwnerKinds=[{"apiGroup":"","resources":["secrets"]}]'],
      /rbac.extraOwnerKinds names core secrets: reaper never reads Secrets/,
    ],
    [
      'two Deployment replicas without leader election',
      ['--set', 'mode=Deployment,deployment.replicas=2,leaderElection.enabled=false'],
      /deployment.replicas > 1 needs leaderElection.enabled/,
    ],
    [
      'a ServiceMonitor without the Service it selects',
      ['--set', 'metrics.serviceMonitor.enabled=true,metrics.service.enabled=false'],
      /metrics.serviceMonitor.enabled needs metrics.service.enabled/,
    ],
    [
      'TLS material for a unix socket',
      ['--set', 'docker.tls.secretName=tls'],
      /docker.tls.secretName is set but docker.host is a unix:\/\/ socket/,
    ],
    [
      'a policy owner kind the agent may not read',
      [
        '--set',
        'defaultPolicy.enabled=true',
        '--set',
        'defaultPolicy.spec.owners[0].apiVersion=labs.example.com/v1',
        '--set',
        'defaultPolicy.spec.owners[0].kind=Lab',
      ],
      /defaultPolicy.spec.owners names labs.example.com\/v1 Lab, but the agent may not read that group: add \{apiGroup: "labs.example.com"/,
    ],
  ];

  test.each(refusals)('helm template refuses %s', (_what, args, message) => {
    const result = run('helm', ['template', release, chartDir, ...args]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  test.each(refusals.slice(0, 4))('helm lint refuses %s', (_what, args, message) => {
    const result = run('helm', ['lint', chartDir, ...args]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(message);
    expect(result.stderr).toMatch(/1 chart\(s\) linted, 1 chart\(s\) failed/);
  });

  test('the schema knows exactly the ReapPolicy spec fields and enums the CRD has', () => {
    const schema = JSON.parse(readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as {
      properties: { defaultPolicy: { properties: { spec: { properties: Record<string, { enum?: string[] }> } } } };
    };
    const crd = parse(readFileSync(path.join(repoRoot, 'crds', 'reappolicies.reaper.dev.yaml'), 'utf8')) as {
      spec: {
        versions: {
          schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, { enum?: string[] }> } } } };
        }[];
      };
    };
    const ours = schema.properties.defaultPolicy.properties.spec.properties;
    const theirs = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties;
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    for (const field of Object.keys(theirs)) expect(ours[field]!.enum).toEqual(theirs[field]!.enum);
  });
});

describe('the chart CRDs', () => {
  test('are byte-identical to crds/, file for file', () => {
    const names = (dir: string) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .sort();
    const top = path.join(repoRoot, 'crds');
    const ours = path.join(chartDir, 'crds');
    expect(names(ours)).toEqual(names(top));
    expect(names(top).length).toBe(4);
    for (const name of names(top)) {
      const same = readFileSync(path.join(ours, name)).equals(readFileSync(path.join(top, name)));
      if (!same) throw new Error(`charts/reaper/crds/${name} differs from crds/${name}: run npm run gen:chart-crds`);
    }
  });

  test('scripts/check-chart-crds agrees', () => {
    const result = run(path.join(repoRoot, 'scripts', 'check-chart-crds'), []);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
