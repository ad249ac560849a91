// A ReapPolicy object (from the cluster or a file) checked the way the API server checks it, with
// the defaults it would fill in. Every problem is returned at once, each with its field path.
import { API_VERSION } from './crds.js';
import type { Problem } from './problems.js';
import { reapPolicySpecSchema } from './schema/reappolicy.js';
import { isRecord } from './schema-helpers.js';
import type { DefaultedReapPolicySpec, ReapPolicy } from './types.js';
import { compileValidator } from './validate-schema.js';

export type PolicyValidation =
  { ok: true; object: ReapPolicy<DefaultedReapPolicySpec> } | { ok: false; problems: Problem[] };

const TOP_LEVEL_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
/** RFC 1123 subdomain, as the API server requires of cluster-scoped names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_NAME_LENGTH = 253;

const validateSpec = compileValidator(reapPolicySpecSchema);

export function validateReapPolicy(input: unknown): PolicyValidation {
  if (!isRecord(input)) return { ok: false, problems: [{ path: '', message: 'a ReapPolicy must be an object' }] };
  const problems: Problem[] = [];
  if (input.apiVersion !== API_VERSION) problems.push({ path: 'apiVersion', message: `must be ${API_VERSION}` });
  if (input.kind !== 'ReapPolicy') problems.push({ path: 'kind', message: 'must be ReapPolicy' });
  for (const field of Object.keys(input)) {
    if (!TOP_LEVEL_FIELDS.has(field)) problems.push({ path: field, message: 'unknown field' });
  }
  problems.push(...metadataProblems(input.metadata));
  // Like the API server: an absent spec is an empty one, which the defaults fill in.
  const spec = validateSpec(input.spec ?? {}, 'spec');
  problems.push(...spec.problems);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, object: { ...input, spec: spec.value } as ReapPolicy<DefaultedReapPolicySpec> };
}

function metadataProblems(metadata: unknown): Problem[] {
  if (!isRecord(metadata)) return [{ path: 'metadata', message: 'is required, with a name' }];
  const name = metadata.name;
  if (typeof name !== 'string' || name === '') return [{ path: 'metadata.name', message: 'is required' }];
  if (name.length > MAX_NAME_LENGTH) {
    return [{ path: 'metadata.name', message: `must be no more than ${MAX_NAME_LENGTH} characters` }];
  }
  if (!DNS_SUBDOMAIN.test(name)) {
    return [{ path: 'metadata.name', message: 'must be lowercase letters, digits, - and . (an RFC 1123 subdomain)' }];
  }
  return [];
}
