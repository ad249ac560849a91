// The examples are what people copy: each must parse, and say what its comments say.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { parsePolicyYaml } from '../../../src/api/parse-policy.js';
import { formatProblems } from '../../../src/api/problems.js';
import { sandboxSpecSchema, topologySpecSchema } from '../../../src/api/schema/owners.js';
import { compileValidator } from '../../../src/api/validate-schema.js';
import type { Policy } from '../../../src/core/policy.js';

const dir = (name: string) => path.join(process.cwd(), 'examples', name);
const read = (name: string, file: string) => readFileSync(path.join(dir(name), file), 'utf8');

function policy(file: string): Policy {
  const result = parsePolicyYaml(read('policies', file));
  if (!result.ok) throw new Error(`${file}:\n${formatProblems(result.problems)}`);
  return result.policy;
}

test.each(readdirSync(dir('policies')))('examples/policies/%s parses', (file) => {
  expect(policy(file).name).toBe(path.basename(file, '.yaml'));
});

test('default.yaml is the label contract with the documented defaults, leases on', () => {
  const p = policy('default.yaml');
  expect(p.match).toEqual([{ type: 'label', label: 'reaper.dev/owner-uid' }]);
  expect(p).toMatchObject({
    mode: 'Reap',
    timing: { minAgeMs: 300_000, gracePeriodMs: 60_000 },
    limits: { maxDeletionsPerSweep: 500, maxOrphanPercent: 50 },
    resources: { ipLeases: { enabled: true } },
  });
});

test('name-prefix.yaml extracts the 8-character key from lab container names', () => {
  const rule = policy('name-prefix.yaml').match[0]!;
  if (rule.type !== 'name') throw new Error('expected a name rule');
  expect(rule.keyPrefixLength).toBe(8);
  const found = rule.regex.matcher('lab_t_0a1b2c3d_router');
  expect(found.find() && found.group('key')).toBe('0a1b2c3d');
  expect(rule.regex.matcher('lab_x_0a1b2c3d_router').find()).toBe(false);
});

test.each(readdirSync(dir('owners')))('examples/owners/%s is a valid owner', (file) => {
  const owner = parse(read('owners', file)) as { apiVersion: string; kind: string; spec: unknown };
  expect(owner.apiVersion).toBe('reaper.dev/v1alpha1');
  const schema = owner.kind === 'Topology' ? topologySpecSchema : sandboxSpecSchema;
  expect(compileValidator(schema)(owner.spec, 'spec').problems).toEqual([]);
});
