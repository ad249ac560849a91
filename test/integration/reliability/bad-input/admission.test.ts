// Malformed custom resources are rejected at admission by the real API server (the CRDs' OpenAPI
// schema and CEL rules), at the field at fault, and the offline validator agrees. The ReapPolicy
// table of invalid specs is in test/integration/api/crds.test.ts; these are the owner kinds, and
// policies larger or stranger than any row there.
import { topologySpecSchema, sandboxSpecSchema } from '../../../../src/api/schema/owners.js';
import { compileValidator } from '../../../../src/api/validate-schema.js';
import { validateReapPolicy } from '../../../../src/api/validate-policy.js';
import { installCrds } from '../../../support/kubectl.js';
import { apiVersion, ReaperApi } from '../../api/reaper-api.js';

const api = new ReaperApi();
let namespace: string;

beforeAll(async () => {
  installCrds();
  namespace = await api.namespace('bad-admission');
});
afterAll(() => api.cleanup());

const huge = 'a'.repeat(1024 * 1024);

const badTopologies: { case: string; spec: Record<string, unknown>; paths: string[] }[] = [
  {
    case: 'a node on an undeclared network',
    spec: { networks: [{ name: 'lan' }], nodes: [{ name: 'n', image: 'i', networks: ['wan'] }] },
    paths: ['spec.nodes'],
  },
  {
    case: 'a subnet that is not a CIDR',
    spec: { networks: [{ name: 'lan', subnet: '10.0.0.0/33' }] },
    paths: ['spec.networks[0].subnet'],
  },
  {
    case: 'an IPv6 subnet',
    spec: { networks: [{ name: 'lan', subnet: 'fd00::/64' }] },
    paths: ['spec.networks[0].subnet'],
  },
  { case: 'a network twice', spec: { networks: [{ name: 'lan' }, { name: 'lan' }] }, paths: ['spec.networks[1]'] },
  { case: 'an uppercase node name', spec: { nodes: [{ name: 'Node', image: 'i' }] }, paths: ['spec.nodes[0].name'] },
  { case: 'a node without an image', spec: { nodes: [{ name: 'n' }] }, paths: ['spec.nodes[0].image'] },
  { case: 'a 1 MB image name', spec: { nodes: [{ name: 'n', image: huge }] }, paths: ['spec.nodes[0].image'] },
  {
    case: 'more nodes than allowed',
    spec: { nodes: Array.from({ length: 257 }, (_, i) => ({ name: `n${i}`, image: 'i' })) },
    paths: ['spec.nodes'],
  },
  { case: 'nodes that are not a list', spec: { nodes: 'n1,n2' }, paths: ['spec.nodes'] },
];

const badSandboxes: { case: string; spec: Record<string, unknown>; paths: string[] }[] = [
  { case: 'no image', spec: {}, paths: ['spec.image'] },
  { case: 'port 0', spec: { image: 'i', ports: [{ containerPort: 0 }] }, paths: ['spec.ports[0].containerPort'] },
  {
    case: 'port 65536',
    spec: { image: 'i', ports: [{ containerPort: 65536 }] },
    paths: ['spec.ports[0].containerPort'],
  },
  {
    case: 'a port twice',
    spec: { image: 'i', ports: [{ containerPort: 80 }, { containerPort: 80, protocol: 'TCP' }] },
    paths: ['spec.ports[1]'],
  },
  {
    case: 'an unknown protocol',
    spec: { image: 'i', ports: [{ containerPort: 80, protocol: 'SCTP' }] },
    paths: ['spec.ports[0].protocol'],
  },
  { case: 'a network name with a slash', spec: { image: 'i', network: '../etc' }, paths: ['spec.network'] },
  { case: 'a 1 MB argument', spec: { image: 'i', command: [huge] }, paths: ['spec.command[0]'] },
];

describe.each([
  { kind: 'Topology', plural: 'topologies' as const, schema: topologySpecSchema, rows: badTopologies },
  { kind: 'Sandbox', plural: 'sandboxes' as const, schema: sandboxSpecSchema, rows: badSandboxes },
])('$kind', ({ kind, plural, schema, rows }) => {
  const validate = compileValidator(schema);

  test.each(rows)('$case: rejected at $paths by admission and offline', async ({ spec, paths }) => {
    const created = await api.createOwner(plural, namespace, {
      apiVersion,
      kind,
      metadata: { name: `bad-${Math.random().toString(16).slice(2, 10)}` },
      spec,
    });
    expect(created).toMatchObject({ accepted: false, code: 422, fields: [...paths].sort() });
    // A rejection says what is wrong without echoing a 1 MB value back.
    if (!created.accepted) expect(created.message.length).toBeLessThan(16 * 1024);
    expect([...new Set(validate(spec, 'spec').problems.map((p) => p.path))].sort()).toEqual([...paths].sort());
  });

  test('a name that is not a DNS subdomain, and unknown fields, are rejected', async () => {
    const named = await api.createOwner(plural, namespace, {
      apiVersion,
      kind,
      metadata: { name: 'Not_A_Name' },
      spec: kind === 'Topology' ? {} : { image: 'i' },
    });
    expect(named).toMatchObject({ accepted: false, code: 422, fields: ['metadata.name'] });
    const unknown = await api.createOwner(plural, namespace, {
      apiVersion,
      kind,
      metadata: { name: 'unknown-field' },
      spec: { ...(kind === 'Topology' ? {} : { image: 'i' }), privileged: true },
    });
    expect(unknown).toMatchObject({ accepted: false, code: 400, fields: ['spec.privileged'] });
  });
});

describe('ReapPolicy beyond the invalid-spec table', () => {
  const policy = (spec: Record<string, unknown>) => ({
    apiVersion,
    kind: 'ReapPolicy',
    metadata: { name: api.policyName('bad-admission') },
    spec,
  });

  test.each([
    { case: 'a 1 MB pattern', spec: { match: [{ nameRegex: `(?<key>${huge})` }] }, paths: ['spec.match[0].nameRegex'] },
    { case: 'a 1 MB label key', spec: { match: [{ label: huge }] }, paths: ['spec.match[0].label'] },
    {
      case: 'a duration of 31 digits (past Go’s range)',
      spec: { timing: { gracePeriod: `${'9'.repeat(31)}h` } },
      paths: ['spec.timing.gracePeriod'],
    },
    {
      case: 'a cniDir with a NUL byte',
      spec: { resources: { ipLeases: { cniDir: '/var/lib/cni\u0000x' } } },
      paths: [],
    },
    {
      case: 'more match rules than allowed',
      spec: { match: Array.from({ length: 1000 }, (_, i) => ({ label: `example.com/k${i}` })) },
      paths: ['spec.match'],
    },
  ])('$case: admission and the parser agree', async ({ spec, paths }) => {
    const body = policy(spec);
    const created = await api.createPolicy(body);
    const offline = validateReapPolicy(body);
    expect(created.accepted).toBe(offline.ok);
    if (paths.length > 0) {
      expect(created).toMatchObject({ accepted: false, fields: paths });
      if (!offline.ok) expect([...new Set(offline.problems.map((p) => p.path))]).toEqual(paths);
    }
    if (!created.accepted) expect(created.message.length).toBeLessThan(16 * 1024);
  });
});
