import { parsePolicy, parsePolicyYaml } from '../../../src/api/parse-policy.js';
import { invalidPolicies } from '../../support/invalid-policies.js';

const policyObject = (spec: Record<string, unknown> = {}, name = 'p') => ({
  apiVersion: 'reaper.dev/v1alpha1',
  kind: 'ReapPolicy',
  metadata: { name, generation: 3 },
  spec,
});

test('an empty spec gets the documented defaults', () => {
  const result = parsePolicy(policyObject());
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const { policy } = result;
  expect(policy).toMatchObject({
    name: 'p',
    generation: 3,
    mode: 'Reap',
    match: [{ type: 'label', label: 'reaper.dev/owner-uid' }],
    timing: { minAgeMs: 300_000, gracePeriodMs: 60_000, intervalMs: 300_000 },
    limits: { maxDeletionsPerSweep: 500, maxOrphanPercent: 50, concurrency: 8 },
    resources: {
      containers: { enabled: true, running: 'Stop', stopTimeoutSeconds: 10 },
      ipLeases: { enabled: false, cniDir: '/var/lib/cni/networks', networks: [] },
    },
    teardown: 'Sweep',
  });
  expect(policy.owners.map((o) => `${o.kind}:${o.key.type}`)).toEqual(['Topology:uid', 'Sandbox:uid']);
});

test('the input object is not modified by defaulting', () => {
  const input = policyObject();
  parsePolicy(input);
  expect(input.spec).toEqual({});
});

test.each(invalidPolicies)('$name is rejected at $path', ({ spec, path }) => {
  const result = parsePolicy(policyObject(spec));
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.problems.map((p) => p.path)).toContain(path);
});

test('every problem is reported at once', () => {
  const result = parsePolicy(policyObject({ mode: 'X', timing: { minAge: 'soon' }, limits: { concurrency: 0 } }));
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.problems.map((p) => p.path).sort()).toEqual([
      'spec.limits.concurrency',
      'spec.mode',
      'spec.timing.minAge',
    ]);
    expect(result.problems.find((p) => p.path === 'spec.timing.minAge')?.message).toBe(
      'is not a duration (like 90s, 5m, 1h30m)',
    );
  }
});

test.each([
  ['a regex that is not RE2 (backreference)', '^(?<key>a)\\1', /not an RE2 regular expression/],
  ['a regex without a key group', '^lab_t_([0-9a-f]{8})_', /named group "key"/],
  ['an unbalanced regex', '^(?<key>a', /missing closing/],
])('%s is a clear problem', (_name, nameRegex, message) => {
  const result = parsePolicy(policyObject({ match: [{ nameRegex }] }));
  expect(result.ok).toBe(false);
  if (!result.ok)
    expect(result.problems[0]).toMatchObject({
      path: 'spec.match[0].nameRegex',
      message: expect.stringMatching(message),
    });
});

test('a catastrophic-backtracking pattern compiles to a linear-time matcher', () => {
  const result = parsePolicy(policyObject({ match: [{ nameRegex: '^(?<key>(a+)+)$' }] }));
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const rule = result.policy.match[0]!;
  if (rule.type !== 'name') throw new Error('expected a name rule');
  // A backtracking engine would not finish this in the lifetime of the test run.
  expect(rule.regex.matcher(`${'a'.repeat(100_000)}!`).find()).toBe(false);
});

test('owner keys: uid, name and field paths', () => {
  const result = parsePolicy(
    policyObject({
      owners: [
        { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', key: '.spec.labId' },
        { apiVersion: 'v1', kind: 'ConfigMap', key: 'name', namespaces: ['labs'] },
      ],
    }),
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  expect(result.policy.owners.map((o) => o.key)).toEqual([
    { type: 'field', path: ['spec', 'labId'] },
    { type: 'name' },
  ]);
});

test('the approval annotation is carried into the policy', () => {
  const object = policyObject();
  (object.metadata as Record<string, unknown>).annotations = { 'reaper.dev/approve-sweep': 'b-0123456789ab' };
  const result = parsePolicy(object);
  expect(result.ok && result.policy.approvedSweep).toBe('b-0123456789ab');
});

describe('YAML files', () => {
  test.each([
    [
      'duplicate keys',
      'apiVersion: reaper.dev/v1alpha1\nkind: ReapPolicy\nkind: ReapPolicy\nmetadata: {name: p}\n',
      '',
      /YAML: .*unique/,
    ],
    [
      'a wrong type',
      'apiVersion: reaper.dev/v1alpha1\nkind: ReapPolicy\nmetadata: {name: p}\nspec: {limits: {concurrency: "eight"}}\n',
      'spec.limits.concurrency',
      /must be integer/,
    ],
    [
      'an unknown field',
      'apiVersion: reaper.dev/v1alpha1\nkind: ReapPolicy\nmetadata: {name: p}\nspec: {timing: {minAge: 5m, maxAge: 1h}}\n',
      'spec.timing.maxAge',
      /unknown field/,
    ],
    ['two documents', 'kind: A\n---\nkind: B\n', '', /expected one YAML document, found 2/],
    ['not YAML at all', '{ unclosed: [', '', /YAML/],
  ])('%s gives a clear error', (_name, text, path, message) => {
    const result = parsePolicyYaml(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatchObject({ path, message: expect.stringMatching(message) });
  });

  test('a valid file parses', () => {
    const result = parsePolicyYaml(
      'apiVersion: reaper.dev/v1alpha1\nkind: ReapPolicy\nmetadata:\n  name: demo\nspec:\n  mode: DryRun\n',
    );
    expect(result.ok && result.policy.mode).toBe('DryRun');
  });
});
