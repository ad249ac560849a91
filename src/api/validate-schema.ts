// Validates objects offline against the CRD's own OpenAPI schema, with the API server's defaulting,
// so a policy file and the same policy applied to a cluster agree. Unlike the API server, which
// prunes unknown fields, files get an error for them: a typo in a safety setting must not vanish.
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Problem } from './problems.js';
import { pointerToPath } from './problems.js';
import type { Schema } from './schema-helpers.js';
import { DURATION_PATTERN } from './schema-helpers.js';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, validateFormats: false });

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

export function compileSchema(schema: Schema): ValidateFunction {
  return ajv.compile(closedSchema(schema));
}

/** Validates (and defaults, in place) `value`; problems carry paths under `prefix`. */
export function schemaProblems(validate: ValidateFunction, value: unknown, prefix: string): Problem[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => toProblem(e, prefix));
}

function toProblem(error: ErrorObject, prefix: string): Problem {
  const at = pointerToPath(error.instancePath);
  const path = at ? `${prefix}.${at}` : prefix;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return { path: `${path}.${String(params.additionalProperty)}`, message: 'unknown field' };
    case 'enum':
      return { path, message: `must be one of ${(params.allowedValues as unknown[]).join(', ')}` };
    case 'pattern':
      return params.pattern === DURATION_PATTERN
        ? { path, message: 'is not a duration (like 90s, 5m, 1h30m)' }
        : { path, message: `must match ${String(params.pattern)}` };
    case 'required':
      return { path: `${path}.${String(params.missingProperty)}`, message: 'is required' };
    default:
      return { path, message: error.message ?? error.keyword };
  }
}
