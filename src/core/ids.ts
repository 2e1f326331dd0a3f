import { randomBytes, randomFillSync } from 'node:crypto';
import { InspectorError } from './errors.js';

/** Session ids: letters, digits, `_` and `-`, 6 to 128 characters. Safe to build a file name from. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{6,128}$/;
const TRACE_ID_PATTERN = /^(?!0{32})[0-9a-f]{32}$/;
const SPAN_ID_PATTERN = /^(?!0{16})[0-9a-f]{16}$/;

/** True when `value` is a well-formed session id. */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID_PATTERN.test(value);
}

/**
 * Returns `value` when it is a valid session id, else throws INVALID_SESSION_ID.
 * Call this before building any path from an id.
 */
export function assertSessionId(value: unknown): string {
  if (isSessionId(value)) return value;
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : typeof value;
  throw new InspectorError(
    'INVALID_SESSION_ID',
    `invalid session id ${shown}: expected 6-128 characters of A-Z, a-z, 0-9, '_' or '-'`,
  );
}

/** W3C trace id: 32 lowercase hex, not all zero. */
export function isTraceId(value: unknown): value is string {
  return typeof value === 'string' && TRACE_ID_PATTERN.test(value);
}

/** W3C span (parent) id: 16 lowercase hex, not all zero. */
export function isSpanId(value: unknown): value is string {
  return typeof value === 'string' && SPAN_ID_PATTERN.test(value);
}

// Ids are drawn from a pooled random buffer: one randomFillSync per 4 KB instead of a
// randomBytes call per id (bench "recorder hot path per request/response pair").
const pool = Buffer.allocUnsafe(4096);
let poolOffset = pool.length;

function nonZeroHex(bytes: number): string {
  for (;;) {
    if (poolOffset + bytes > pool.length) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
    poolOffset += bytes;
    if (!/^0+$/.test(hex)) return hex;
  }
}

/** A fresh random W3C trace id. */
export function newTraceId(): string {
  return nonZeroHex(16);
}

/** A fresh random W3C span id. */
export function newSpanId(): string {
  return nonZeroHex(8);
}

/**
 * A fresh session id, sortable by creation time: `YYYYMMDD-HHMMSS-<8 hex>` (UTC).
 * `prefix` (already valid characters) is prepended with a `-` when given.
 */
export function newSessionId(now: Date = new Date(), prefix?: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const id = `${stamp}-${randomBytes(4).toString('hex')}`;
  return prefix ? assertSessionId(`${prefix}-${id}`) : id;
}
