// Validates objects offline against a CRD's own schema the way the API server does, so a policy
// file and the same policy applied to a cluster agree: nulls are dropped, defaults are applied,
// then the OpenAPI keywords (ajv), the list types and the CEL rules (their TypeScript twins) are
// checked, each problem at its field path. One difference on purpose: the API server prunes unknown
// fields, files get an error for them (as `kubectl apply` does), since a typo in a safety setting
// must not vanish.
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { DURATION_PATTERN } from './duration.js';
import type { Problem } from './problems.js';
import { pointerToPath } from './problems.js';
import type { CelRule, Schema } from './schema-helpers.js';
import { RULES_KEY, isRecord } from './schema-helpers.js';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, validateFormats: false, verbose: true });

export interface Validation {
  /** A defaulted copy of the input; the input itself is not modified. */
  readonly value: unknown;
  readonly problems: Problem[];
}

export type Validator = (input: unknown, path: string) => Validation;

export function compileValidator(schema: Schema): Validator {
  const validate = ajv.compile(closedSchema(schema));
  return (input, path) => {
    const value = withoutNulls(input);
    const problems = schemaProblems(validate, value, path);
    problems.push(...kubernetesRuleProblems(schema, value, path));
    return { value, problems };
  };
}

/** A copy of a CRD schema that rejects unknown fields, minus the Kubernetes-only keywords. */
export function closedSchema(schema: Schema): Schema {
  const copy: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-')) continue;
    if (key === 'properties') {
      copy.properties = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([name, child]) => [name, closedSchema(child)]),
      );
    } else if (key === 'items') {
      copy.items = closedSchema(value as Schema);
    } else {
      copy[key] = value;
    }
  }
  if (copy.type === 'object' && copy.properties) copy.additionalProperties = false;
  return copy;
}

/** The API server drops null fields (none of ours is nullable) before defaulting; so do we. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, child]) => child !== null)
      .map(([key, child]) => [key, withoutNulls(child)]),
  );
}

function schemaProblems(validate: ValidateFunction, value: unknown, prefix: string): Problem[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => toProblem(e, prefix));
}

/** A value as it appears in a message: short, JSON-quoted. */
export function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function toProblem(error: ErrorObject, prefix: string): Problem {
  const at = pointerToPath(error.instancePath);
  const path = at ? `${prefix}.${at}` : prefix;
  const params = error.params as Record<string, unknown>;
  const got = showValue(error.data);
  switch (error.keyword) {
    case 'additionalProperties':
      return { path: `${path}.${String(params.additionalProperty)}`, message: 'unknown field' };
    case 'required':
      return { path: `${path}.${String(params.missingProperty)}`, message: 'is required' };
    case 'enum':
      return { path, message: `${got} is not one of ${(params.allowedValues as unknown[]).join(', ')}` };
    case 'pattern':
      return params.pattern === DURATION_PATTERN
        ? { path, message: `${got} is not a duration (like 90s, 5m, 1h30m)` }
        : { path, message: `${got} must match ${String(params.pattern)}` };
    case 'type':
      return { path, message: `must be ${String(params.type)}, not ${got}` };
    default:
      return { path, message: `${error.message ?? error.keyword}, got ${got}` };
  }
}

/** The checks the API server makes beyond OpenAPI: list types and CEL rules. */
function kubernetesRuleProblems(schema: Schema, value: unknown, path: string): Problem[] {
  if (value === undefined) return [];
  const problems: Problem[] = [];
  for (const rule of (schema[RULES_KEY] ?? []) as CelRule[]) {
    const result = rule.check(value);
    if (result === true) continue;
    const message = typeof result === 'string' ? `${rule.message}: ${result}` : rule.message;
    problems.push({ path: `${path}${rule.fieldPath ?? ''}`, message });
  }
  if (isRecord(value) && isRecord(schema.properties)) {
    for (const [name, child] of Object.entries(schema.properties as Record<string, Schema>)) {
      problems.push(...kubernetesRuleProblems(child, value[name], `${path}.${name}`));
    }
  }
  if (Array.isArray(value)) {
    problems.push(...duplicateProblems(schema, value, path));
    if (isRecord(schema.items)) {
      value.forEach((item, i) =>
        problems.push(...kubernetesRuleProblems(schema.items as Schema, item, `${path}[${i}]`)),
      );
    }
  }
  return problems;
}

/** Map lists allow one entry per key, sets one of each value; later duplicates are the problem. */
function duplicateProblems(schema: Schema, list: readonly unknown[], path: string): Problem[] {
  const listType = schema['x-kubernetes-list-type'];
  if (listType !== 'map' && listType !== 'set') return [];
  const keys = (schema['x-kubernetes-list-map-keys'] ?? []) as string[];
  const identity = (item: unknown) =>
    listType === 'set'
      ? showValue(item)
      : keys.map((k) => `${k}=${isRecord(item) ? showValue(item[k]) : 'undefined'}`).join(', ');
  const seen = new Set<string>();
  const problems: Problem[] = [];
  list.forEach((item, i) => {
    const id = identity(item);
    if (seen.has(id)) problems.push({ path: `${path}[${i}]`, message: `duplicate entry ${id}` });
    seen.add(id);
  });
  return problems;
}
