// The chart's life on the real API server: helm install, what the agents' ServiceAccount may and
// may not do (a `kubectl auth can-i` table and the complete rule list), helm upgrade between modes,
// helm uninstall, and the post-delete hook's script releasing reaper's finalizer from owners. The
// test environment has no kubelet, so pods never run: the tests look at the objects, and run the
// hook's script the way its Job would, with the hook ServiceAccount's token.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { uniqueName } from '../../support/engines.js';
import { installCrds, kubectl } from '../../support/kubectl.js';
import { eventually } from '../../support/eventually.js';
import {
  BASIC_USER_RULES,
  canI,
  chartDir,
  clusterAccess,
  createNamespace,
  deleteNamespace,
  exists,
  find,
  getObject,
  helm,
  parseObjects,
  resourceRules,
  run,
  serviceAccountToken,
  template,
} from './chart-support.js';

const release = uniqueName('rel');
const fullname = `${release}-reaper`;
const namespace = uniqueName('chart-install');
const agentSA = `system:serviceaccount:${namespace}:${fullname}`;
const policyName = uniqueName('chart-policy');
/** `helm upgrade` of the release with its values so far, these values set, then `extra`. */
const upgrade = (values: string, extra: string[] = []) =>
  helm(['upgrade', release, chartDir, '-n', namespace, '--reuse-values', '--set', values, ...extra]);
// The release's policy attributes only through a label key of its own and only reports (DryRun),
// so a controller another test runs against this API server finds nothing of anyone's in it.
const policy = {
  enabled: true,
  name: policyName,
  spec: { mode: 'DryRun', match: [{ label: `${uniqueName('t')}.test/owner-uid` }] },
};
const work = mkdtempSync(path.join(tmpdir(), 'reaper-chart-install-'));
const ownerNamespaces: string[] = [];
const guardPolicy = uniqueName('chart-guard');

/**
 * Other tests' `reaper run` agents share this API server, and an agent takes reaper's finalizer off
 * any owner no policy tears down. This policy (DryRun, attributing nothing) asks for Finalizer
 * teardown of this file's owner namespaces, so such agents leave the finalizer on them.
 */
function guardOwnerFinalizers(namespaces: string[]): void {
  const owners = namespaces.length > 0 ? namespaces : ['none'];
  kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'reaper.dev/v1alpha1',
      kind: 'ReapPolicy',
      metadata: { name: guardPolicy },
      spec: {
        mode: 'DryRun',
        teardown: 'Finalizer',
        owners: ['Topology', 'Sandbox'].map((kind) => ({
          apiVersion: 'reaper.dev/v1alpha1',
          kind,
          namespaces: owners,
        })),
        match: [{ label: `${guardPolicy}.test/owner-uid` }],
      },
    }),
  );
}

/** Every version of an owner's finalizers from now on (a watch; an agent may change them again later). */
function watchFinalizers(kind: string, name: string, ns: string) {
  const child = spawn('kubectl', [
    'get',
    kind,
    name,
    '-n',
    ns,
    '--watch',
    '-o',
    'jsonpath={.metadata.finalizers}{"\\n"}',
  ]);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  return {
    versions: () => out.split('\n').slice(0, -1),
    stop: () => child.kill(),
  };
}

beforeAll(() => installCrds());
afterAll(() => {
  run('kubectl', ['delete', 'reappolicy', guardPolicy, '--ignore-not-found']);
  run('helm', ['uninstall', release, '-n', namespace, '--no-hooks', '--ignore-not-found']);
  deleteNamespace(namespace);
  for (const ns of ownerNamespaces) {
    // Owners a failed test left with a finalizer would keep their namespace terminating.
    for (const name of kubectl(['get', 'topologies.reaper.dev', '-n', ns, '-o', 'name']).split('\n').filter(Boolean)) {
      run('kubectl', ['patch', name, '-n', ns, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    }
    deleteNamespace(ns);
  }
  run('kubectl', ['delete', 'clusterrole,clusterrolebinding', '-l', `app.kubernetes.io/instance=${release}`]);
  rmSync(work, { recursive: true, force: true });
});

type Check = [verb: string, resource: string, flags: string[], allowed: boolean];

function expectCan(serviceAccount: string, table: Check[]) {
  const wrong = table
    .filter(([verb, resource, flags, allowed]) => canI(serviceAccount, verb, resource, flags) !== allowed)
    .map(
      ([verb, resource, flags, allowed]) => `${allowed ? 'denied' : 'allowed'}: ${verb} ${resource} ${flags.join(' ')}`,
    );
  expect(wrong).toEqual([]);
}

const AGENT_RULES = [
  'events [] create,patch',
  'nodes [] get,list,watch',
  'reapnodereports.reaper.dev [] create,delete,get,list,patch,watch',
  'reapnodereports.reaper.dev/status [] patch',
  'reappolicies.reaper.dev [] get,list,watch',
  'reappolicies.reaper.dev/status [] patch',
  'sandboxes.reaper.dev [] get,list,patch,watch',
  'sandboxes.reaper.dev/status [] patch',
  'topologies.reaper.dev [] get,list,patch,watch',
  'topologies.reaper.dev/status [] patch',
];

/**
 * The agents' rules as `kubectl auth can-i --list` shows them: AGENT_RULES, `extra`, and the one
 * Lease they may hold (created, then read and renewed by name), sorted.
 */
const agentRulesWithLease = (lease: string, extra: string[] = []) =>
  [
    ...AGENT_RULES,
    ...BASIC_USER_RULES,
    ...extra,
    'leases.coordination.k8s.io [] create',
    `leases.coordination.k8s.io [${lease}] get,update`,
  ].sort();

// What the agent does in either mode, allowed; and a sample of what it must never do, denied.
const everyMode = (otherNamespace: string): Check[] => [
  ['get', 'reappolicies.reaper.dev', [], true],
  ['list', 'reappolicies.reaper.dev', [], true],
  ['watch', 'reappolicies.reaper.dev', [], true],
  ['patch', 'reappolicies.reaper.dev', ['--subresource=status'], true],
  ['list', 'topologies.reaper.dev', ['-A'], true],
  ['watch', 'sandboxes.reaper.dev', ['-A'], true],
  ['get', 'topologies.reaper.dev', ['-n', otherNamespace], true],
  ['patch', 'topologies.reaper.dev', ['-n', otherNamespace], true],
  ['patch', 'sandboxes.reaper.dev', ['-n', otherNamespace], true],
  ['patch', 'topologies.reaper.dev', ['--subresource=status', '-n', otherNamespace], true],
  ['patch', 'sandboxes.reaper.dev', ['--subresource=status', '-n', otherNamespace], true],
  // Its own ReapNodeReports (the summary writer deletes those of Nodes long gone), and the Nodes.
  ['create', 'reapnodereports.reaper.dev', [], true],
  ['patch', 'reapnodereports.reaper.dev', [], true],
  ['patch', 'reapnodereports.reaper.dev', ['--subresource=status'], true],
  ['delete', 'reapnodereports.reaper.dev', [], true],
  ['watch', 'nodes', [], true],
  ['create', 'events', ['-n', 'default'], true],
  ['create', 'events', ['-n', otherNamespace], true],
  ['patch', 'events', ['-n', otherNamespace], true],
  // GitOps: the spec stays Git's.
  ['patch', 'reappolicies.reaper.dev', [], false],
  ['update', 'reappolicies.reaper.dev', [], false],
  ['create', 'reappolicies.reaper.dev', [], false],
  ['delete', 'reappolicies.reaper.dev', [], false],
  ['update', 'reappolicies.reaper.dev', ['--subresource=status'], false],
  ['update', 'topologies.reaper.dev', ['-n', otherNamespace], false],
  ['create', 'topologies.reaper.dev', ['-n', otherNamespace], false],
  ['delete', 'topologies.reaper.dev', ['-n', otherNamespace], false],
  ['deletecollection', 'topologies.reaper.dev', ['-n', otherNamespace], false],
  ['delete', 'sandboxes.reaper.dev', ['-n', otherNamespace], false],
  ['delete', 'events', ['-n', otherNamespace], false],
  ['delete', 'pods', ['-n', otherNamespace], false],
  ['get', 'pods', ['-n', otherNamespace], false],
  ['create', 'pods', ['--subresource=exec', '-n', otherNamespace], false],
  ['get', 'secrets', ['-n', namespace], false],
  ['list', 'secrets', ['-A'], false],
  ['watch', 'secrets', ['-n', otherNamespace], false],
  ['get', 'configmaps', ['-n', namespace], false],
  ['create', 'serviceaccounts', ['--subresource=token', '-n', namespace], false],
  ['delete', 'customresourcedefinitions.apiextensions.k8s.io', [], false],
  ['patch', 'nodes', [], false],
  ['bind', 'clusterroles.rbac.authorization.k8s.io', [], false],
  ['impersonate', 'serviceaccounts', ['-n', namespace], false],
  ['delete', 'leases.coordination.k8s.io', ['-n', namespace], false],
  ['list', 'leases.coordination.k8s.io', ['-n', namespace], false],
];

describe('helm install, upgrade and uninstall on the real API server', () => {
  test('helm install creates the agents, their ServiceAccount and RBAC, the metrics Service and the policy', () => {
    const out = helm([
      'install',
      release,
      chartDir,
      '-n',
      namespace,
      '--create-namespace',
      '--set-json',
      `defaultPolicy=${JSON.stringify(policy)}`,
    ]);
    expect(out).toMatch(/STATUS: deployed/);
    // NOTES: how to read what reaper did.
    expect(out).toContain('kubectl get reappolicies');
    expect(out).toContain(`kubectl get reappolicy ${policyName} -o yaml`);
    expect(out).toContain(`kubectl -n ${namespace} get daemonset,pods -l app.kubernetes.io/instance=${release}`);

    for (const [kind, name, ns] of [
      ['daemonset', fullname, namespace],
      ['serviceaccount', fullname, namespace],
      ['service', `${fullname}-metrics`, namespace],
      ['clusterrole', fullname, undefined],
      ['clusterrolebinding', fullname, undefined],
      ['reappolicy', policyName, undefined],
    ] as const) {
      expect(`${kind}/${name} ${exists(kind, name, ns)}`).toBe(`${kind}/${name} true`);
    }
    // The summary writer: a Deployment of its own, elected through its Lease.
    expect(exists('deployment', `${fullname}-summary`, namespace)).toBe(true);
    expect(exists('role', `${fullname}-leader-election`, namespace)).toBe(true);
    const daemonSet = getObject('daemonset', fullname, namespace) as {
      spec?: { template: { spec: { serviceAccountName: string } } };
    };
    expect(daemonSet.spec!.template.spec.serviceAccountName).toBe(fullname);
    const stored = getObject('reappolicy', policyName) as { spec?: { mode: string; owners: unknown[] } };
    expect(stored.spec!.mode).toBe('DryRun');
    // The API server filled in the CRD's defaults.
    expect(stored.spec!.owners).toHaveLength(2);
    const status = JSON.parse(helm(['status', release, '-n', namespace, '-o', 'json'])) as { info: { status: string } };
    expect(status.info.status).toBe('deployed');
  });

  test('DaemonSet mode: the ServiceAccount can do exactly what the agents and the summary writer need, and only its Lease', () => {
    expect(resourceRules(agentSA, namespace)).toEqual(agentRulesWithLease('reaper-summary'));
    expectCan(agentSA, [
      ...everyMode('default'),
      ['create', 'leases.coordination.k8s.io', ['-n', namespace], true],
      ['get', 'leases.coordination.k8s.io/reaper-summary', ['-n', namespace], true],
      ['get', 'leases.coordination.k8s.io/reaper', ['-n', namespace], false],
      ['update', 'leases.coordination.k8s.io/reaper', ['-n', namespace], false],
    ]);
  });

  test('helm upgrade to Deployment mode: a Deployment, and a Lease Role in the release namespace only', () => {
    const out = upgrade(
      'mode=Deployment,docker.host=tcp://docker.example.internal:2376,deployment.replicas=2,logLevel=debug',
    );
    expect(out).toMatch(/REVISION: 2/);
    expect(out).toContain(`Lease ${namespace}/reaper`);
    expect(exists('daemonset', fullname, namespace)).toBe(false);
    // The active replica writes the summary too.
    expect(exists('deployment', `${fullname}-summary`, namespace)).toBe(false);
    const deployment = getObject('deployment', fullname, namespace) as {
      spec?: { replicas: number; template: { spec: { containers: { args: string[] }[] } } };
    };
    expect(deployment.spec!.replicas).toBe(2);
    expect(deployment.spec!.template.spec.containers[0]!.args).toEqual(
      expect.arrayContaining(['--leader-elect', '--leader-election-id=reaper', '--log-level=debug']),
    );
    expect(exists('reappolicy', policyName)).toBe(true);

    expect(resourceRules(agentSA, namespace)).toEqual(agentRulesWithLease('reaper'));
    expectCan(agentSA, [
      ...everyMode('default'),
      ['create', 'leases.coordination.k8s.io', ['-n', namespace], true],
      ['get', 'leases.coordination.k8s.io/reaper', ['-n', namespace], true],
      ['update', 'leases.coordination.k8s.io/reaper', ['-n', namespace], true],
      ['get', 'leases.coordination.k8s.io/someone-else', ['-n', namespace], false],
      ['update', 'leases.coordination.k8s.io/someone-else', ['-n', namespace], false],
      ['create', 'leases.coordination.k8s.io', ['-n', 'default'], false],
      ['get', 'leases.coordination.k8s.io/reaper', ['-n', 'kube-system'], false],
    ]);
  });

  test('helm upgrade back to a DaemonSet with an extra owner kind (batch Jobs): read-only access to it, only the summary Lease', () => {
    const out = upgrade('mode=DaemonSet,docker.host=unix:///var/run/docker.sock,metrics.serviceMonitor.enabled=true', [
      '--set-json',
      'rbac.extraOwnerKinds=[{"apiGroup":"batch","resources":["jobs"]}]',
    ]);
    expect(out).toMatch(/REVISION: 3/);
    // No Prometheus Operator here: no ServiceMonitor, and the notes say why.
    expect(out).toMatch(/WARNING: metrics.serviceMonitor.enabled is true, but this cluster does not serve/);
    expect(exists('deployment', fullname, namespace)).toBe(false);
    expect(exists('daemonset', fullname, namespace)).toBe(true);
    expect(exists('deployment', `${fullname}-summary`, namespace)).toBe(true);
    expect(resourceRules(agentSA, namespace)).toEqual(
      agentRulesWithLease('reaper-summary', ['jobs.batch [] get,list,watch']),
    );
    expectCan(agentSA, [
      ['list', 'jobs.batch', ['-A'], true],
      ['watch', 'jobs.batch', ['-A'], true],
      ['get', 'jobs.batch', ['-n', 'default'], true],
      ['patch', 'jobs.batch', ['-n', 'default'], false],
      ['delete', 'jobs.batch', ['-n', 'default'], false],
      ['create', 'jobs.batch', ['-n', 'default'], false],
      ['update', 'leases.coordination.k8s.io/reaper', ['-n', namespace], false],
    ]);
  });

  test('helm uninstall removes what it installed; nothing it leaves holds a finalizer', async () => {
    // An owner that the agent had put its teardown finalizer on, as it does under teardown: Finalizer.
    const ownerNamespace = createNamespace('chart-owners');
    ownerNamespaces.push(ownerNamespace);
    guardOwnerFinalizers(ownerNamespaces);
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'reaper.dev/v1alpha1',
        kind: 'Topology',
        metadata: { name: 'lab', namespace: ownerNamespace, finalizers: ['reaper.dev/teardown'] },
        spec: {},
      }),
    );

    // The post-delete Job needs a kubelet to run: --no-hooks here, its script is run below.
    const out = helm(['uninstall', release, '-n', namespace, '--no-hooks']);
    expect(out).toMatch(/release "[^"]+" uninstalled/);
    expect(
      kubectl([
        'get',
        'all,sa,role,rolebinding,cm,jobs',
        '-n',
        namespace,
        '-l',
        `app.kubernetes.io/instance=${release}`,
        '-o',
        'name',
      ]),
    ).toBe('');
    expect(
      kubectl(['get', 'clusterrole,clusterrolebinding', '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name']),
    ).toBe('');
    // The policy had no finalizer: it is gone, not terminating.
    await eventually('the policy to be gone', () => (exists('reappolicy', policyName) ? undefined : true), 30_000);
    // The release namespace empties and goes: nothing in it waits on a finalizer.
    const deleted = run('kubectl', ['delete', 'namespace', namespace, '--wait', '--timeout=90s']);
    expect(deleted.stderr).toBe('');
    expect(exists('namespace', namespace)).toBe(false);
    // The CRDs stay (Helm never deletes them), and so does the owner with reaper's finalizer: the
    // post-delete hook is what releases it.
    expect(exists('crd', 'topologies.reaper.dev')).toBe(true);
    expect(getObject('topology', 'lab', ownerNamespace).metadata.finalizers).toEqual(['reaper.dev/teardown']);
  });

  test("the post-delete hook's script, as the hook's ServiceAccount, takes reaper's finalizer off owners and nothing else", async () => {
    const ownerNamespace = ownerNamespaces[0]!;
    const hookNamespace = createNamespace('chart-hook');
    ownerNamespaces.push(hookNamespace);
    // The hook's objects as the chart renders them; the Job is the part that needs a kubelet.
    const hook = parseObjects(template(release, hookNamespace, ['--show-only', 'templates/uninstall-hook.yaml']));
    const configMap = find(hook, 'ConfigMap', `${fullname}-uninstall`) as { data?: Record<string, string> };
    const script = path.join(chartDir, 'files', 'release-finalizers.mjs');
    expect(configMap.data!['release-finalizers.mjs']).toBe(readFileSync(script, 'utf8').trimEnd());
    const job = find(hook, 'Job', `${fullname}-uninstall`) as {
      spec?: { template: { spec: { serviceAccountName: string; containers: { command: string[] }[] } } };
    };
    expect(job.spec!.template.spec.containers[0]!.command).toEqual(['node', '/hook/release-finalizers.mjs']);
    const rbac = hook.filter((o) => o.kind !== 'Job');
    kubectl(['apply', '-f', '-'], rbac.map((o) => JSON.stringify(o)).join('\n'));

    const hookSA = `system:serviceaccount:${hookNamespace}:${job.spec!.template.spec.serviceAccountName}`;
    expect(resourceRules(hookSA, hookNamespace)).toEqual(
      [...BASIC_USER_RULES, 'sandboxes.reaper.dev [] get,list,patch', 'topologies.reaper.dev [] get,list,patch'].sort(),
    );
    expectCan(hookSA, [
      ['list', 'topologies.reaper.dev', ['-A'], true],
      ['patch', 'topologies.reaper.dev', ['-n', ownerNamespace], true],
      ['delete', 'topologies.reaper.dev', ['-n', ownerNamespace], false],
      ['get', 'secrets', ['-n', hookNamespace], false],
      ['patch', 'reappolicies.reaper.dev', [], false],
    ]);

    // A second owner carries someone else's finalizer next to reaper's: that one stays.
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'reaper.dev/v1alpha1',
        kind: 'Sandbox',
        metadata: {
          name: 'box',
          namespace: ownerNamespace,
          finalizers: ['example.com/keep', 'reaper.dev/teardown'],
        },
        spec: { image: 'reaper-test/busybox:1' },
      }),
    );

    const tokenFile = path.join(work, 'hook-token');
    writeFileSync(tokenFile, serviceAccountToken(hookNamespace, job.spec!.template.spec.serviceAccountName), {
      mode: 0o600,
    });
    const watches = [
      watchFinalizers('topology', 'lab', ownerNamespace),
      watchFinalizers('sandbox', 'box', ownerNamespace),
    ];
    await eventually('the watches to show the owners as they are', () =>
      watches.every((w) => w.versions().length > 0) ? true : undefined,
    );
    const { server, caFile } = clusterAccess();
    const hookRun = run('env', [
      `REAPER_API_SERVER=${server}`,
      `REAPER_CA_FILE=${caFile}`,
      `REAPER_TOKEN_FILE=${tokenFile}`,
      'REAPER_SETTLE_SECONDS=1',
      // Only this test's owners: other tests' controllers may hold reaper's finalizer on theirs.
      `REAPER_OWNER_NAMESPACES=${ownerNamespace}`,
      process.execPath,
      script,
    ]);
    expect(hookRun.stderr).toBe('');
    expect(hookRun.code).toBe(0);
    expect(hookRun.stdout).toContain(`released topologies ${ownerNamespace}/lab`);
    expect(hookRun.stdout).toContain(`released sandboxes ${ownerNamespace}/box`);
    expect(hookRun.stdout).toMatch(/done: removed reaper.dev\/teardown from [0-9]+ owner\(s\)/);

    // What the script left (the guard policy may have another test's agent put reaper's back since).
    const [lab, box] = watches;
    await eventually("the script's versions of both owners", () =>
      lab!.versions().includes('') && box!.versions().includes('["example.com/keep"]') ? true : undefined,
    );
    for (const watch of watches) watch.stop();
    expect(lab!.versions()[0]).toBe('["reaper.dev/teardown"]');
    expect(box!.versions()[0]).toBe('["example.com/keep","reaper.dev/teardown"]');
    // Deleting the owner is no longer blocked by reaper.
    kubectl(['delete', 'reappolicy', guardPolicy]);
    kubectl(['delete', 'topology', 'lab', '-n', ownerNamespace, '--wait', '--timeout=30s']);
    expect(exists('topology', 'lab', ownerNamespace)).toBe(false);
    kubectl([
      'patch',
      'sandbox',
      'box',
      '-n',
      ownerNamespace,
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
  });
});
