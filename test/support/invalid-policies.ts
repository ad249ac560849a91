// Invalid ReapPolicies, each with the field it is wrong in. The parser (offline) and the API
// server (admission) must both reject every row, at that field.
export interface InvalidPolicy {
  name: string;
  spec: Record<string, unknown>;
  /** The field path the problem is reported at. */
  path: string;
}

export const invalidPolicies: InvalidPolicy[] = [
  { name: 'bad duration', spec: { timing: { minAge: '5x' } }, path: 'spec.timing.minAge' },
  { name: 'duration without unit', spec: { timing: { gracePeriod: '10' } }, path: 'spec.timing.gracePeriod' },
  {
    name: 'both label and nameRegex',
    spec: { match: [{ label: 'reaper.dev/owner-uid', nameRegex: '^x(?<key>.*)' }] },
    path: 'spec.match[0]',
  },
  { name: 'neither label nor nameRegex', spec: { match: [{}] }, path: 'spec.match[0]' },
  { name: 'percent 0', spec: { limits: { maxOrphanPercent: 0 } }, path: 'spec.limits.maxOrphanPercent' },
  { name: 'percent 101', spec: { limits: { maxOrphanPercent: 101 } }, path: 'spec.limits.maxOrphanPercent' },
  { name: 'concurrency 65', spec: { limits: { concurrency: 65 } }, path: 'spec.limits.concurrency' },
  { name: 'unknown mode', spec: { mode: 'Obliterate' }, path: 'spec.mode' },
  {
    name: 'unknown running action',
    spec: { resources: { containers: { running: 'Kill' } } },
    path: 'spec.resources.containers.running',
  },
  {
    name: 'nameRegex over the length limit',
    spec: { match: [{ nameRegex: `(?<key>${'a'.repeat(600)})` }] },
    path: 'spec.match[0].nameRegex',
  },
  {
    name: 'label key over the length limit',
    spec: { match: [{ label: `reaper.dev/${'x'.repeat(80)}` }] },
    path: 'spec.match[0].label',
  },
  {
    name: 'relative cniDir',
    spec: { resources: { ipLeases: { cniDir: 'var/lib/cni' } } },
    path: 'spec.resources.ipLeases.cniDir',
  },
];
