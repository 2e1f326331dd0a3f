import { createRequire } from 'node:module';
import type { Ajv as AjvInstance, ErrorObject, ValidateFunction } from 'ajv';
import { InspectorError } from '../core/errors.js';

// Loaded on the first schema, not at import: ajv costs tens of milliseconds to load, which every
// proxy start would pay for waiters it never has. Both packages are CommonJS, so require is synchronous.
const require = createRequire(import.meta.url);
let shared: AjvInstance | undefined;
function ajv(): AjvInstance {
  if (shared) return shared;
  const { Ajv } = require('ajv') as typeof import('ajv');
  const formats = require('ajv-formats') as { default?: (a: AjvInstance) => AjvInstance } & ((a: AjvInstance) => AjvInstance);
  const addFormats = formats.default ?? formats;
  // allErrors off: the first problem is the one a person fixes first, and it is cheaper.
  shared = addFormats(new Ajv({ strict: false, allErrors: false }));
  return shared;
}

/** A compiled payload check of one signal: returns the payload or throws INVALID_ARGUMENT naming the field. */
export type PayloadCheck = (payload: unknown) => unknown;

/**
 * Compiles the JSON Schema of a signal's payload. Throws INVALID_ARGUMENT when `schema` is not a
 * schema ajv can compile. The check's message reads like
 * `invalid payload for signal 'approve_plan': /budget: must be <= 100`.
 */
export function compilePayloadSchema(signal: string, schema: Record<string, unknown>): PayloadCheck {
  let validate: ValidateFunction;
  try {
    validate = ajv().compile(schema);
  } catch (err) {
    throw new InspectorError('INVALID_ARGUMENT', `invalid JSON Schema for signal '${signal}': ${(err as Error).message}`);
  }
  return (payload) => {
    if (validate(payload)) return payload;
    throw new InspectorError('INVALID_ARGUMENT', `invalid payload for signal '${signal}': ${describeAjvError(validate.errors?.[0])}`);
  };
}

function describeAjvError(error: ErrorObject | undefined): string {
  if (!error) return 'does not match the schema';
  const where = error.instancePath === '' ? '' : `${error.instancePath}: `;
  const params = error.params as { additionalProperty?: string; allowedValues?: unknown[] };
  let message = error.message ?? 'does not match the schema';
  if (params.additionalProperty !== undefined) message += ` ('${params.additionalProperty}')`;
  if (Array.isArray(params.allowedValues)) message += ` (${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')})`;
  return `${where}${message}`;
}
