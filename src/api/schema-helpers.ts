// Small builders for OpenAPI v3 schemas in the structural form CRDs require: every field has a
// type and a description, so `kubectl explain` teaches the API.
export type Schema = Record<string, unknown>;

/**
 * A CEL validation rule with its TypeScript twin. The API server runs `rule`; files validated offline
 * run `check` on the same value, so both reject the same objects at the same path. `check` returns
 * true when the rule holds, false when it does not, or a string saying what is wrong in detail.
 * Like the API server, twins also run on values that failed other checks: they must not assume types.
 */
export interface CelRule {
  readonly rule: string;
  readonly message: string;
  readonly check: (self: unknown) => boolean | string;
  /** Where the error is reported, relative to the value the rule is on, e.g. `.nodes`. */
  readonly fieldPath?: string;
}

export const cel = (rule: string, message: string, check: CelRule['check'], fieldPath?: string): CelRule => ({
  rule,
  message,
  check,
  ...(fieldPath !== undefined ? { fieldPath } : {}),
});

/** The key the rules live under, as in a CRD. */
export const RULES_KEY = 'x-kubernetes-validations';

/** kubectl explain does not print defaults, so scalar fields say theirs in the description. */
const described = (description: string, extra: Schema) =>
  ['string', 'number', 'boolean'].includes(typeof extra.default)
    ? `${description} Default: ${String(extra.default)}.`
    : description;

export const str = (description: string, extra: Schema = {}): Schema => ({
  type: 'string',
  description: described(description, extra),
  ...extra,
});
export const int = (description: string, extra: Schema = {}): Schema => ({
  type: 'integer',
  format: 'int64',
  description: described(description, extra),
  ...extra,
});
export const bool = (description: string, extra: Schema = {}): Schema => ({
  type: 'boolean',
  description: described(description, extra),
  ...extra,
});
export const obj = (description: string, properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  type: 'object',
  description,
  properties,
  ...extra,
});
export const arr = (description: string, items: Schema, extra: Schema = {}): Schema => ({
  type: 'array',
  description,
  items,
  ...extra,
});
export const time = (description: string): Schema => str(description, { format: 'date-time' });

/** A list whose entries are identified by `keys` (server-side apply merges them one by one). */
export const mapList = (...keys: string[]): Schema => ({
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': keys,
});
export const setList: Schema = { 'x-kubernetes-list-type': 'set' };

export const isString = (value: unknown): value is string => typeof value === 'string';
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** RFC 1123 label: namespaces, network and node names. */
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** A Kubernetes label key: optional DNS-subdomain prefix (at most 253), a slash, a name of at most 63. */
export const LABEL_KEY_PATTERN =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
