import { labelValue, nodeReportLabels, nodeReportName } from '../../../src/api/node-report-name.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

describe('nodeReportName', () => {
  test.each<[string, string, string]>([
    ['default', 'worker-1', 'default.worker-1'],
    ['default', 'ip-10-0-0-1.ec2.internal', 'default.ip-10-0-0-1.ec2.internal'],
  ])('%s on %s reads as %s', (policy, node, expected) => {
    expect(nodeReportName(policy, node)).toBe(expected);
  });

  test('a policy name with a dot is hashed: the first dot could not tell policy from node', () => {
    expect(nodeReportName('a.b', 'c')).not.toBe(nodeReportName('a', 'b.c'));
    expect(nodeReportName('a', 'b.c')).toBe('a.b.c');
    expect(nodeReportName('a.b', 'c')).toMatch(/^a-b-[0-9a-f]{16}$/);
  });

  test('too long for 253 characters: hashed, valid, and still different per node', () => {
    const policy = 'p'.repeat(200);
    const [a, b] = [nodeReportName(policy, 'n'.repeat(100)), nodeReportName(policy, 'm'.repeat(100))];
    for (const name of [a, b]) {
      expect(name.length).toBeLessThanOrEqual(253);
      expect(name).toMatch(DNS_SUBDOMAIN);
    }
    expect(a).not.toBe(b);
  });

  test('deterministic', () => {
    expect(nodeReportName('x.y', 'z')).toBe(nodeReportName('x.y', 'z'));
  });
});

describe('labelValue', () => {
  test.each<[string]>([['default'], ['worker-1.example.com'], ['a'.repeat(63)]])('%s is kept as it is', (text) => {
    expect(labelValue(text)).toBe(text);
  });

  test.each<[string]>([['a'.repeat(64)], ['n'.repeat(253)], ['-starts-with-dash']])(
    '%s is shortened and hashed',
    (text) => {
      const value = labelValue(text);
      expect(value.length).toBeLessThanOrEqual(63);
      expect(value).toMatch(LABEL_VALUE);
      expect(value).not.toBe(text);
    },
  );

  test('the labels name the policy and the node', () => {
    expect(nodeReportLabels('default', 'worker-1')).toEqual({
      'reaper.dev/policy': 'default',
      'reaper.dev/node': 'worker-1',
    });
  });
});
