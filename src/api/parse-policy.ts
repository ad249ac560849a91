// ReapPolicy object (from the cluster or a YAML file) -> the validated, defaulted internal Policy.
// Every problem is returned at once with its field path; nothing a user writes can make reaper
// hang (regexes are RE2: linear time, no backreferences) or widen what it deletes.
import { RE2JS } from 're2js';
import { parseAllDocuments } from 'yaml';
import type { MatchRule, OwnerKeyRule, OwnerKind, Policy } from '../core/policy.js';
import { APPROVE_SWEEP_ANNOTATION } from '../core/policy.js';
import { API_VERSION } from './crds.js';
import { parseDuration } from './duration.js';
import type { Problem } from './problems.js';
import { reapPolicySpecSchema } from './schema/reappolicy.js';
import { compileSchema, schemaProblems } from './validate-schema.js';

export type ParseResult = { ok: true; policy: Policy } | { ok: false; problems: Problem[] };

/** Periodic sweeps closer together than this would keep an agent busy doing nothing useful. */
const MIN_INTERVAL_MS = 1000;
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

const validateSpec = compileSchema(reapPolicySpecSchema);

interface SpecInput {
  mode: Policy['mode'];
  owners: { apiVersion: string; kind: string; namespaces: string[]; key: string }[];
  match: { label?: string; nameRegex?: string; keyPrefixLength?: number }[];
  resources: {
    containers: { enabled: boolean; running: 'Stop' | 'Skip'; stopTimeoutSeconds: number };
    networks: { enabled: boolean };
    volumes: { enabled: boolean };
    ipLeases: { enabled: boolean; cniDir: string; networks: string[] };
  };
  timing: { minAge: string; gracePeriod: string; interval: string };
  limits: Policy['limits'];
  teardown: Policy['teardown'];
}

export function parsePolicy(input: unknown): ParseResult {
  const problems: Problem[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, problems: [{ path: '', message: 'a ReapPolicy must be an object' }] };
  }
  const object = input as { apiVersion?: unknown; kind?: unknown; metadata?: unknown; spec?: unknown };
  if (object.apiVersion !== API_VERSION) problems.push({ path: 'apiVersion', message: `must be ${API_VERSION}` });
  if (object.kind !== 'ReapPolicy') problems.push({ path: 'kind', message: 'must be ReapPolicy' });
  const metadata = (object.metadata ?? {}) as { name?: unknown; generation?: unknown; annotations?: unknown };
  if (typeof metadata.name !== 'string' || !NAME.test(metadata.name)) {
    problems.push({ path: 'metadata.name', message: 'must be a DNS subdomain name of at most 253 characters' });
  }

  // Validation defaults the spec in place: work on a copy so the caller's object stays as it was.
  const spec: unknown = structuredClone(object.spec ?? {});
  problems.push(...schemaProblems(validateSpec, spec, 'spec'));
  if (problems.length > 0) return { ok: false, problems };

  const s = spec as SpecInput;
  const match = s.match.map((rule, i) => matchRule(rule, `spec.match[${i}]`, problems));
  const owners = s.owners.map((owner): OwnerKind => ({
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    namespaces: owner.namespaces,
    key: ownerKeyRule(owner.key),
  }));
  const ms = (field: keyof SpecInput['timing']) => {
    const value = parseDuration(s.timing[field]);
    if (value === undefined)
      problems.push({ path: `spec.timing.${field}`, message: 'is not a duration reaper accepts (at most 10 years)' });
    return value ?? 0;
  };
  const timing = { minAgeMs: ms('minAge'), gracePeriodMs: ms('gracePeriod'), intervalMs: ms('interval') };
  if (timing.intervalMs < MIN_INTERVAL_MS && problems.every((p) => p.path !== 'spec.timing.interval')) {
    problems.push({ path: 'spec.timing.interval', message: 'must be at least 1s' });
  }
  if (problems.length > 0) return { ok: false, problems };

  const annotations = (metadata.annotations ?? {}) as Record<string, unknown>;
  const approved = annotations[APPROVE_SWEEP_ANNOTATION];
  return {
    ok: true,
    policy: {
      name: metadata.name as string,
      generation: typeof metadata.generation === 'number' ? metadata.generation : 0,
      mode: s.mode,
      owners,
      match: match.filter((m): m is MatchRule => m !== undefined),
      resources: s.resources,
      timing,
      limits: s.limits,
      teardown: s.teardown,
      ...(typeof approved === 'string' && approved.length <= 64 ? { approvedSweep: approved } : {}),
    },
  };
}

/** Parses YAML text holding exactly one ReapPolicy; duplicate keys and bad YAML are problems too. */
export function parsePolicyYaml(text: string): ParseResult {
  const documents = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true }).filter(
    (d) => d.contents !== null || d.errors.length > 0,
  );
  if (documents.length !== 1) {
    return { ok: false, problems: [{ path: '', message: `expected one YAML document, found ${documents.length}` }] };
  }
  const document = documents[0]!;
  if (document.errors.length > 0) {
    return {
      ok: false,
      problems: document.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}` })),
    };
  }
  return parsePolicy(document.toJS({ maxAliasCount: 100 }));
}

function matchRule(rule: SpecInput['match'][number], path: string, problems: Problem[]): MatchRule | undefined {
  // The CRD enforces these with CEL; files get the same checks here.
  if ((rule.label === undefined) === (rule.nameRegex === undefined)) {
    problems.push({ path, message: 'exactly one of label or nameRegex must be set' });
    return undefined;
  }
  if (rule.keyPrefixLength !== undefined && rule.nameRegex === undefined) {
    problems.push({ path: `${path}.keyPrefixLength`, message: 'keyPrefixLength goes with nameRegex' });
    return undefined;
  }
  if (rule.label !== undefined) return { type: 'label', label: rule.label };
  const source = rule.nameRegex!;
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(source);
  } catch (err) {
    problems.push({ path: `${path}.nameRegex`, message: `not an RE2 regular expression: ${(err as Error).message}` });
    return undefined;
  }
  if (!Object.prototype.hasOwnProperty.call(regex.namedGroups(), 'key')) {
    problems.push({ path: `${path}.nameRegex`, message: 'needs a named group "key", e.g. (?<key>[0-9a-f]{8})' });
    return undefined;
  }
  return {
    type: 'name',
    regex,
    source,
    ...(rule.keyPrefixLength !== undefined ? { keyPrefixLength: rule.keyPrefixLength } : {}),
  };
}

function ownerKeyRule(key: string): OwnerKeyRule {
  if (key === 'uid' || key === 'name') return { type: key };
  return { type: 'field', path: key.slice(1).split('.') };
}
