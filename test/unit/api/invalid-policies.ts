// Invalid ReapPolicies, each with every field path it is wrong at. The parser (offline) and the API
// server (admission) must both reject every row, at exactly these paths.
export interface InvalidPolicy {
  name: string;
  spec: Record<string, unknown>;
  /** metadata.name when the name itself is the problem. */
  metadataName?: string;
  paths: string[];
}

const owner = (extra: Record<string, unknown> = {}) => ({
  apiVersion: 'reaper.dev/v1alpha1',
  kind: 'Topology',
  ...extra,
});

export const invalidPolicies: InvalidPolicy[] = [
  { name: 'bad duration', spec: { timing: { minAge: '5x' } }, paths: ['spec.timing.minAge'] },
  { name: 'duration without unit', spec: { timing: { gracePeriod: '10' } }, paths: ['spec.timing.gracePeriod'] },
  { name: 'negative duration', spec: { timing: { gracePeriod: '-1m' } }, paths: ['spec.timing.gracePeriod'] },
  { name: 'duration over 10 years', spec: { timing: { minAge: '87601h' } }, paths: ['spec.timing.minAge'] },
  { name: 'interval under 1s', spec: { timing: { interval: '999ms' } }, paths: ['spec.timing.interval'] },
  {
    name: 'both label and nameRegex',
    spec: { match: [{ label: 'reaper.dev/owner-uid', nameRegex: '^x(?<key>.*)' }] },
    paths: ['spec.match[0]'],
  },
  { name: 'neither label nor nameRegex', spec: { match: [{}] }, paths: ['spec.match[0]'] },
  {
    name: 'keyPrefixLength with a label rule',
    spec: { match: [{ label: 'reaper.dev/owner-uid', keyPrefixLength: 8 }] },
    paths: ['spec.match[0]'],
  },
  { name: 'unbalanced regex', spec: { match: [{ nameRegex: '^(?<key>a' }] }, paths: ['spec.match[0].nameRegex'] },
  {
    name: 'backreference (not RE2)',
    spec: { match: [{ nameRegex: '^(?<key>a)\\1' }] },
    paths: ['spec.match[0].nameRegex'],
  },
  {
    name: 'regex without a key group',
    spec: { match: [{ nameRegex: '^lab_t_([0-9a-f]{8})_' }] },
    paths: ['spec.match[0].nameRegex'],
  },
  {
    name: 'nameRegex over the length limit',
    spec: { match: [{ nameRegex: `(?<key>${'a'.repeat(600)})` }] },
    paths: ['spec.match[0].nameRegex'],
  },
  {
    name: 'label key over the length limit',
    spec: { match: [{ label: `reaper.dev/${'x'.repeat(80)}` }] },
    paths: ['spec.match[0].label'],
  },
  { name: 'not a label key', spec: { match: [{ label: 'owner uid' }] }, paths: ['spec.match[0].label'] },
  { name: 'no match rules', spec: { match: [] }, paths: ['spec.match'] },
  { name: 'percent 0', spec: { limits: { maxOrphanPercent: 0 } }, paths: ['spec.limits.maxOrphanPercent'] },
  { name: 'percent 101', spec: { limits: { maxOrphanPercent: 101 } }, paths: ['spec.limits.maxOrphanPercent'] },
  { name: 'minOwnersToBlock 0', spec: { limits: { minOwnersToBlock: 0 } }, paths: ['spec.limits.minOwnersToBlock'] },
  {
    name: 'minOwnersToBlock not a whole number',
    spec: { limits: { minOwnersToBlock: 2.5 } },
    paths: ['spec.limits.minOwnersToBlock'],
  },
  {
    name: 'massDeletionWindow without unit',
    spec: { limits: { massDeletionWindow: '10' } },
    paths: ['spec.limits.massDeletionWindow'],
  },
  {
    name: 'massDeletionWindow beyond ten years',
    spec: { limits: { massDeletionWindow: '100000h' } },
    paths: ['spec.limits.massDeletionWindow'],
  },
  { name: 'concurrency 0', spec: { limits: { concurrency: 0 } }, paths: ['spec.limits.concurrency'] },
  { name: 'concurrency 65', spec: { limits: { concurrency: 65 } }, paths: ['spec.limits.concurrency'] },
  { name: 'concurrency as text', spec: { limits: { concurrency: 'eight' } }, paths: ['spec.limits.concurrency'] },
  { name: 'unknown mode', spec: { mode: 'Obliterate' }, paths: ['spec.mode'] },
  { name: 'unknown teardown', spec: { teardown: 'Never' }, paths: ['spec.teardown'] },
  {
    name: 'unknown running action',
    spec: { resources: { containers: { running: 'Kill' } } },
    paths: ['spec.resources.containers.running'],
  },
  {
    name: 'stop timeout over 10 minutes',
    spec: { resources: { containers: { stopTimeoutSeconds: 601 } } },
    paths: ['spec.resources.containers.stopTimeoutSeconds'],
  },
  {
    name: 'relative cniDir',
    spec: { resources: { ipLeases: { cniDir: 'var/lib/cni' } } },
    paths: ['spec.resources.ipLeases.cniDir'],
  },
  { name: 'no owners', spec: { owners: [] }, paths: ['spec.owners'] },
  { name: 'owner without kind', spec: { owners: [{ apiVersion: 'v1' }] }, paths: ['spec.owners[0].kind'] },
  { name: 'the same owner kind twice', spec: { owners: [owner(), owner({ key: 'name' })] }, paths: ['spec.owners[1]'] },
  {
    name: 'a namespace twice',
    spec: { owners: [owner({ namespaces: ['labs', 'labs'] })] },
    paths: ['spec.owners[0].namespaces[1]'],
  },
  {
    name: 'owner key not a field path',
    spec: { owners: [owner({ key: 'spec.labId' })] },
    paths: ['spec.owners[0].key'],
  },
  {
    name: 'several problems at once',
    spec: { mode: 'X', timing: { minAge: 'soon' }, limits: { concurrency: 0 } },
    paths: ['spec.limits.concurrency', 'spec.mode', 'spec.timing.minAge'],
  },
  { name: 'a name over the limit', metadataName: `p${'x'.repeat(253)}`, spec: {}, paths: ['metadata.name'] },
];
