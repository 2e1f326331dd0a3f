import { rawIdToken } from '../core/rawIdToken.js';
import type { RpcId } from '../core/jsonRpc.js';

/** A request's or notification's `params._meta`, when it is an object. */
export function metaOf(params: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const meta = params?._meta;
  return meta !== null && typeof meta === 'object' ? (meta as Record<string, unknown>) : undefined;
}

/**
 * The id's JSON text when JSON.parse could not give the number back exactly (beyond 2^53, a
 * fraction, `1e400`), read from the message's text; undefined for strings and safe integers,
 * whose value is their identity, and when the text is unknown (batch elements, in-process).
 */
export function idTextOf(id: RpcId, raw: string | undefined): string | undefined {
  return typeof id === 'number' && !Number.isSafeInteger(id) && raw !== undefined ? rawIdToken(raw) : undefined;
}

/** Whether `text` parses as JSON (a malformed line is `parse_error`, valid JSON of the wrong shape `invalid_request`). */
export function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** JSON text of any value, never throwing (cycles and BigInts fall back to String). */
export function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
