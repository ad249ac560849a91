// Files and the cluster agree: for generated policies, mixing valid and invalid values in every
// field, the API server's admission (dry run, strict field validation, as kubectl does) and the
// offline validator accept the same policies with the same defaults, and reject the others at
// the same fields.
import fc from 'fast-check';
import { validateReapPolicy } from '../../../src/api/validate-policy.js';
import { installCrds } from '../../support/kubectl.js';
import { ReaperApi, apiVersion } from './reaper-api.js';

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** Mostly valid values, so that both outcomes are common: one wrong field rejects the policy. */
const pick = <T>(valid: T[], invalid: T[]) =>
  fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: 6 }, { arbitrary: fc.constantFrom(...invalid), weight: 1 });
const owner = (extra: Record<string, unknown> = {}) => ({
  apiVersion: 'reaper.dev/v1alpha1',
  kind: 'Topology',
  ...extra,
});
const duration = pick<unknown>(
  ['0', '0s', '5m', '1h30m', '1.5s', '87600h', null],
  ['999ms', '5x', '10', '-1m', '87601h', 300],
);

/** Each field absent, valid, or wrong in one of the ways people get it wrong. */
const spec = fc.record(
  {
    mode: pick<unknown>(['Reap', 'DryRun', null], ['Obliterate']),
    owners: pick<unknown>(
      [
        [owner()],
        [owner({ key: 'name', namespaces: ['labs'] }), { apiVersion: 'v1', kind: 'ConfigMap', key: '.data.lab' }],
      ],
      [
        [owner(), owner({ key: 'name' })],
        [owner({ namespaces: ['a', 'a'] })],
        [owner({ key: 'spec.labId' })],
        [{ apiVersion: 'v1' }],
        [],
      ],
    ),
    match: pick<unknown>(
      [
        [{ label: 'reaper.dev/owner-uid' }],
        [{ nameRegex: '^lab_t_(?<key>[0-9a-f]{8})_', keyPrefixLength: 8 }, { label: 'example.com/lab' }],
      ],
      [
        [{ nameRegex: '^(?<key>a' }],
        [{ nameRegex: '^lab_([0-9a-f]{8})' }],
        [{ nameRegex: '^(?<key>a)\\1' }],
        [{ label: 'reaper.dev/owner-uid', nameRegex: '^(?<key>.*)' }],
        [{ label: 'reaper.dev/owner-uid', keyPrefixLength: 8 }],
        [{}],
        [{ label: 'not a label' }],
        [],
      ],
    ),
    resources: fc.record(
      {
        containers: fc.record(
          {
            enabled: pick<unknown>([true, false], ['yes']),
            running: pick(['Stop', 'Skip'], ['Kill']),
            stopTimeoutSeconds: pick([0, 10, 600], [601, -1]),
          },
          { requiredKeys: [] },
        ),
        networks: optional(fc.record({ enabled: fc.boolean() })),
        ipLeases: fc.record(
          {
            enabled: fc.boolean(),
            cniDir: pick(['/var/lib/cni/networks'], ['relative']),
            networks: pick([['a'], ['a', 'b']], [['a', 'a']]),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
    timing: fc.record({ minAge: duration, gracePeriod: duration, interval: duration }, { requiredKeys: [] }),
    limits: fc.record(
      {
        maxDeletionsPerSweep: pick([1, 500, 100000], [0, 100001]),
        maxOrphanPercent: pick([1, 50, 100], [0, 101]),
        concurrency: pick<unknown>([1, 8, 64], [0, 65, '8']),
      },
      { requiredKeys: [] },
    ),
    teardown: pick(['Sweep', 'Finalizer'], ['Never']),
  },
  { requiredKeys: [] },
);

/** Now and then a misspelt field, which strict decoding and the parser both refuse. */
const withTypo = fc
  .tuple(spec, fc.oneof({ arbitrary: fc.constant(false), weight: 8 }, fc.constant(true)))
  .map(([s, typo]) => (typo ? { ...s, timing: { ...(s.timing ?? {}), maxAge: '1h' } } : s));

describe('offline validation agrees with the real API server', () => {
  const api = new ReaperApi();
  beforeAll(() => installCrds());
  afterAll(() => api.cleanup());

  test('same acceptance, same defaults, same fields', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(withTypo, async (generated) => {
        const body = { apiVersion, kind: 'ReapPolicy', metadata: { name: 'agreement' }, spec: generated };
        const offline = validateReapPolicy(body);
        const server = await api.createPolicy(body, true);
        if (offline.ok) {
          if (!server.accepted) throw new Error(`only the API server rejects it: ${server.message}`);
          expect(server.object.spec).toEqual(offline.object.spec);
          accepted++;
          return;
        }
        if (server.accepted) throw new Error(`only the parser rejects it: ${JSON.stringify(offline.problems)}`);
        const paths = [...new Set(offline.problems.map((p) => p.path))].sort();
        const unknown = offline.problems.filter((p) => p.message === 'unknown field').map((p) => p.path);
        if (unknown.length > 0) {
          // Strict decoding stops at unknown fields before validating anything else.
          expect(server).toMatchObject({ code: 400, fields: unknown.sort() });
        } else if (server.rulesSkipped) {
          for (const field of server.fields) expect(paths).toContain(field);
        } else {
          expect(server.fields).toEqual(paths);
        }
      }),
      { numRuns: 300 },
    );
    // Both outcomes must be common, or the property says little.
    expect(accepted).toBeGreaterThan(30);
    expect(accepted).toBeLessThan(270);
  });
});
