import { z } from 'zod';
import { InspectorError } from '../core/errors.js';
import { firstIssue } from '../core/zodIssues.js';

const RequestId = z.union([z.string(), z.number()]);
const Empty = z.object({}).strict();

/** Payload schemas of the built-in signals; `undefined` and `null` payloads count as `{}`. */
export const SignalPayloadSchemas = {
  pause: z.object({ reason: z.string().max(500).optional() }).strict(),
  resume: Empty,
  step: Empty,
  cancel: z.object({ reason: z.string().max(500).optional() }).strict(),
  approve: z.object({ request_id: RequestId.optional() }).strict(),
  reject: z.object({ reason: z.string().max(500).optional(), request_id: RequestId.optional() }).strict(),
  human_input_answer: z.object({ request_id: RequestId.optional(), answer: z.unknown().refine((v) => v !== undefined, 'answer is required') }).strict(),
} as const;

export type BuiltinSignalName = keyof typeof SignalPayloadSchemas;

/** Signal names: 1-64 characters of letters, digits, `_`, `.`, `:` and `-`. */
export const SIGNAL_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** True when `name` is a built-in signal. */
export function isBuiltinSignal(name: string): name is BuiltinSignalName {
  return Object.hasOwn(SignalPayloadSchemas, name);
}

/**
 * Validates the payload of built-in signal `signal`; throws INVALID_ARGUMENT naming the signal
 * and the first problem. Returns the parsed payload.
 */
export function parseSignalPayload<S extends BuiltinSignalName>(signal: S, payload: unknown): z.infer<(typeof SignalPayloadSchemas)[S]> {
  const result = SignalPayloadSchemas[signal].safeParse(payload ?? {});
  if (result.success) return result.data as z.infer<(typeof SignalPayloadSchemas)[S]>;
  throw new InspectorError('INVALID_ARGUMENT', `invalid payload for signal '${signal}': ${firstIssue(result.error)}`);
}

/** Throws INVALID_ARGUMENT unless `name` is a well-formed signal name. */
export function assertSignalName(name: unknown): string {
  if (typeof name === 'string' && SIGNAL_NAME_PATTERN.test(name)) return name;
  throw new InspectorError('INVALID_ARGUMENT', `invalid signal name ${JSON.stringify(name)}: expected 1-64 characters of A-Z, a-z, 0-9, '_', '.', ':' or '-'`);
}
