import type { InspectorErrorCode } from './errors.js';

/**
 * The HTTP status of every error code, the one map the gateway and the control socket share:
 * 400 bad input, 404 unknown, 409 wrong state, 503 unavailable, 500 otherwise.
 */
export const HTTP_STATUS_BY_CODE: Readonly<Record<InspectorErrorCode, number>> = {
  INVALID_SESSION_ID: 400,
  INVALID_ARGUMENT: 400,
  UNKNOWN_SIGNAL: 400,
  INVALID_CURSOR: 400,
  SESSION_NOT_FOUND: 404,
  SPAN_NOT_FOUND: 404,
  SESSION_NOT_LIVE: 409,
  SIGNAL_NOT_EXPECTED: 409,
  CONFLICT: 409,
  CORRUPT_TRACE: 500,
  IO_ERROR: 500,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** The HTTP status of `code` (500 for a code this build does not know). */
export function httpStatusOf(code: InspectorErrorCode): number {
  return HTTP_STATUS_BY_CODE[code] ?? 500;
}
