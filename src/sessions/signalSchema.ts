import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { InspectorError } from '../core/errors.js';

// ajv-formats is CommonJS: under NodeNext its default export arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

let shared: Ajv | undefined;
function ajv(): Ajv {
  // allErrors off: the first problem is the one a person fixes first, and it is cheaper.
  shared ??= addFormats(new Ajv({ strict: false, allErrors: false }));
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
