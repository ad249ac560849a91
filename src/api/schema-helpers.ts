// Small builders for OpenAPI v3 schemas in the structural form CRDs require: every field has a
// type and a description, so `kubectl explain` teaches the API.
export type Schema = Record<string, unknown>;

export const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
export const int = (description: string, extra: Schema = {}): Schema => ({
  type: 'integer',
  format: 'int64',
  description,
  ...extra,
});
export const bool = (description: string, extra: Schema = {}): Schema => ({ type: 'boolean', description, ...extra });
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

/** Go-style durations as users write them: 90s, 5m, 1h30m, 250ms. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
export const duration = (description: string, defaultValue: string): Schema =>
  str(`${description} A duration such as 90s, 5m or 1h30m.`, {
    pattern: DURATION_PATTERN,
    maxLength: 32,
    default: defaultValue,
  });

/** A Kubernetes label key: optional DNS-subdomain prefix, a slash, a name of at most 63 characters. */
export const LABEL_KEY_PATTERN =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
