import { parsePolicy, parsePolicyYaml } from '../../../src/api/parse-policy.js';
import { formatProblems } from '../../../src/api/problems.js';
import { invalidPolicies } from './invalid-policies.js';

const policyObject = (spec: Record<string, unknown> = {}, name = 'p') => ({
  apiVersion: 'reaper.dev/v1alpha1',
  kind: 'ReapPolicy',
  metadata: { name, generation: 3 },
  spec,
});

function parsed(input: unknown) {
  const result = parsePolicy(input);
  if (!result.ok) throw new Error(formatProblems(result.problems));
  return result.policy;
}

function problems(input: unknown) {
  const result = parsePolicy(input);
  if (result.ok) throw new Error('expected problems, the policy parsed');
  return result.problems;
}

test('an empty spec gets the documented defaults', () => {
  const policy = parsed(policyObject());
  expect(policy).toEqual({
    name: 'p',
    generation: 3,
    mode: 'Reap',
    owners: [
      { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', namespaces: [], key: { type: 'uid' } },
      { apiVersion: 'reaper.dev/v1alpha1', kind: 'Sandbox', namespaces: [], key: { type: 'uid' } },
    ],
    match: [{ type: 'label', label: 'reaper.dev/owner-uid' }],
    resources: {
      containers: { enabled: true, running: 'Stop', stopTimeoutSeconds: 10 },
      networks: { enabled: true },
      volumes: { enabled: true },
      ipLeases: { enabled: false, cniDir: '/var/lib/cni/networks', networks: [] },
    },
    timing: { minAgeMs: 300_000, gracePeriodMs: 60_000, intervalMs: 300_000 },
    limits: {
      maxDeletionsPerSweep: 500,
      maxOrphanPercent: 50,
      minOwnersToBlock: 10,
      massDeletionWindowMs: 10_000,
      concurrency: 8,
    },
    teardown: 'Sweep',
  });
});

test('an absent or null spec is an empty one, as on the API server', () => {
  const { spec: _spec, ...withoutSpec } = policyObject();
  expect(parsed(withoutSpec).timing.minAgeMs).toBe(300_000);
  expect(parsed({ ...withoutSpec, spec: null }).limits.concurrency).toBe(8);
  expect(parsed(policyObject({ timing: null, limits: { concurrency: null } })).limits.concurrency).toBe(8);
});

test('the input object is not modified by defaulting', () => {
  const input = policyObject({ timing: { minAge: '1m' } });
  parsePolicy(input);
  expect(input.spec).toEqual({ timing: { minAge: '1m' } });
});

test.each(invalidPolicies)('$name: problems at $paths', ({ spec, metadataName, paths }) => {
  const found = problems(policyObject(spec, metadataName));
  expect(found.map((p) => p.path).sort()).toEqual([...paths].sort());
});

test.each([
  [{ timing: { minAge: '5x' } }, 'spec.timing.minAge: "5x" is not a duration (like 90s, 5m, 1h30m)'],
  [{ timing: { interval: '999ms' } }, 'spec.timing.interval: must be at least 1s'],
  [{ timing: { minAge: '87601h' } }, 'spec.timing.minAge: must be at most 87600h (10 years)'],
  [{ mode: 'Obliterate' }, 'spec.mode: "Obliterate" is not one of Reap, DryRun'],
  [{ limits: { concurrency: 'eight' } }, 'spec.limits.concurrency: must be integer, not "eight"'],
  [{ limits: { maxOrphanPercent: 101 } }, 'spec.limits.maxOrphanPercent: must be <= 100, got 101'],
  [{ match: [{}] }, 'spec.match[0]: exactly one of label or nameRegex must be set'],
  [
    { match: [{ nameRegex: '^lab_([0-9a-f]{8})' }] },
    'spec.match[0].nameRegex: needs a named group "key", e.g. (?<key>[0-9a-f]{8})',
  ],
  [
    { match: [{ nameRegex: '^(?<key>a' }] },
    'spec.match[0].nameRegex: must be an RE2 regular expression: error parsing regexp: missing closing ): `^(?<key>a`',
  ],
  [{ timing: { maxAge: '1h' } }, 'spec.timing.maxAge: unknown field'],
  [
    {
      owners: [
        { apiVersion: 'v1', kind: 'ConfigMap' },
        { apiVersion: 'v1', kind: 'ConfigMap' },
      ],
    },
    'spec.owners[1]: duplicate entry apiVersion="v1", kind="ConfigMap"',
  ],
])('%j says clearly what is wrong', (spec, expected) => {
  expect(formatProblems(problems(policyObject(spec)))).toBe(expected);
});

test.each([
  ['not an object', 'ReapPolicy', [''], /must be an object/],
  ['a wrong kind', { ...policyObject(), kind: 'Policy' }, ['kind'], /must be ReapPolicy/],
  ['a wrong apiVersion', { ...policyObject(), apiVersion: 'reaper.dev/v1' }, ['apiVersion'], /reaper.dev\/v1alpha1/],
  ['no metadata', { apiVersion: 'reaper.dev/v1alpha1', kind: 'ReapPolicy' }, ['metadata'], /name/],
  ['an upper-case name', policyObject({}, 'Default'), ['metadata.name'], /RFC 1123/],
  // A misspelt `spec` would otherwise leave the defaults in charge of what gets deleted.
  ['a misspelt spec', { ...policyObject(), sepc: { mode: 'DryRun' } }, ['sepc'], /unknown field/],
])('%s is rejected', (_name, input, paths, message) => {
  const found = problems(input);
  expect(found.map((p) => p.path)).toEqual(paths);
  expect(found[0]!.message).toMatch(message);
});

test('durations in Go style become milliseconds', () => {
  const policy = parsed(policyObject({ timing: { minAge: '1h30m', gracePeriod: '0', interval: '1.5s' } }));
  expect(policy.timing).toEqual({ minAgeMs: 5_400_000, gracePeriodMs: 0, intervalMs: 1500 });
});

test('a name rule compiles to RE2 and keeps its prefix length', () => {
  const policy = parsed(policyObject({ match: [{ nameRegex: '^lab_t_(?<key>[0-9a-f]{8})_', keyPrefixLength: 8 }] }));
  const rule = policy.match[0]!;
  if (rule.type !== 'name') throw new Error('expected a name rule');
  expect(rule.source).toBe('^lab_t_(?<key>[0-9a-f]{8})_');
  expect(rule.keyPrefixLength).toBe(8);
  const matcher = rule.regex.matcher('lab_t_0a1b2c3d_router');
  expect(matcher.find() && matcher.group('key')).toBe('0a1b2c3d');
});

test('the CRD looks for the text "(?<key>"; the parser checks the compiled groups', () => {
  // An escaped parenthesis contains the text but is no group.
  const found = problems(policyObject({ match: [{ nameRegex: '^x\\(?<key>y' }] }));
  expect(found).toEqual([{ path: 'spec.match[0].nameRegex', message: expect.stringMatching(/named group "key"/) }]);
});

test('a catastrophic-backtracking pattern compiles to a linear-time matcher', () => {
  const rule = parsed(policyObject({ match: [{ nameRegex: '^(?<key>(a+)+)$' }] })).match[0]!;
  if (rule.type !== 'name') throw new Error('expected a name rule');
  // A backtracking engine would not finish this in the lifetime of the test run.
  expect(rule.regex.matcher(`${'a'.repeat(100_000)}!`).find()).toBe(false);
});

test('owner keys: uid, name and field paths', () => {
  const policy = parsed(
    policyObject({
      owners: [
        { apiVersion: 'reaper.dev/v1alpha1', kind: 'Topology', key: '.spec.labId' },
        { apiVersion: 'v1', kind: 'ConfigMap', key: 'name', namespaces: ['labs'] },
      ],
    }),
  );
  expect(policy.owners).toEqual([
    {
      apiVersion: 'reaper.dev/v1alpha1',
      kind: 'Topology',
      namespaces: [],
      key: { type: 'field', path: ['spec', 'labId'] },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', namespaces: ['labs'], key: { type: 'name' } },
  ]);
});

test('the approval annotation is carried into the policy; an over-long one approves nothing', () => {
  const object = (value: string) => ({
    ...policyObject(),
    metadata: { name: 'p', annotations: { 'reaper.dev/approve-sweep': value } },
  });
  expect(parsed(object('b-0123456789ab')).approvedSweep).toBe('b-0123456789ab');
  expect(parsed(object('x'.repeat(65))).approvedSweep).toBeUndefined();
});

test('an object read from the cluster (with status and server metadata) parses', () => {
  const policy = parsed({
    ...policyObject({ mode: 'DryRun' }),
    metadata: { name: 'p', uid: 'u', generation: 7, resourceVersion: '12', managedFields: [] },
    status: { observedGeneration: 6 },
  });
  expect(policy).toMatchObject({ mode: 'DryRun', generation: 7 });
});

describe('YAML files', () => {
  const file = (spec: string) => `apiVersion: reaper.dev/v1alpha1\nkind: ReapPolicy\nmetadata: {name: p}\n${spec}`;

  test.each([
    ['duplicate keys', file('kind: ReapPolicy\n'), '', /^YAML: Map keys must be unique at line 4/],
    ['a nested duplicate key', file('spec:\n  timing:\n    minAge: 1m\n    minAge: 2m\n'), '', /unique at line 7/],
    ['a wrong type', file('spec: {limits: {concurrency: "eight"}}\n'), 'spec.limits.concurrency', /must be integer/],
    [
      'a number for a duration',
      file('spec: {timing: {minAge: 300}}\n'),
      'spec.timing.minAge',
      /must be string, not 300/,
    ],
    ['an unknown field', file('spec: {timing: {minAge: 5m, maxAge: 1h}}\n'), 'spec.timing.maxAge', /unknown field/],
    ['two documents', 'kind: A\n---\nkind: B\n', '', /expected one YAML document \(a ReapPolicy\), found 2/],
    ['an empty file', '# nothing\n', '', /found 0/],
    ['not YAML at all', '{ unclosed: [', '', /^YAML: /],
    ['a list instead of an object', '- a\n- b\n', '', /must be an object/],
    [
      'an alias bomb',
      `a: &a [x, x, x, x, x, x, x, x, x, x]\n${[...'bcdefghij'].map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(', ')}]`).join('\n')}\n`,
      '',
      /YAML: .*alias/i,
    ],
  ])('%s gives a clear error', (_name, text, path, message) => {
    const result = parsePolicyYaml(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatchObject({ path, message: expect.stringMatching(message) });
  });

  test('an empty section (null in YAML) takes the defaults, as on the API server', () => {
    const result = parsePolicyYaml(file('spec:\n  timing:\n  mode: DryRun\n'));
    expect(result.ok && result.policy.timing.gracePeriodMs).toBe(60_000);
  });

  test('a valid file parses', () => {
    const result = parsePolicyYaml(file('spec:\n  mode: DryRun\n'));
    expect(result.ok && result.policy.mode).toBe('DryRun');
  });
});
