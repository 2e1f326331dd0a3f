/** Stable error codes; every edge maps these once (tool error, HTTP status, JSON-RPC error). */
export type InspectorErrorCode =
  | 'INVALID_SESSION_ID'
  | 'INVALID_ARGUMENT'
  | 'SESSION_NOT_FOUND'
  | 'SPAN_NOT_FOUND'
  | 'SESSION_NOT_LIVE'
  | 'SIGNAL_NOT_EXPECTED'
  | 'UNKNOWN_SIGNAL'
  | 'INVALID_CURSOR'
  | 'CORRUPT_TRACE'
  | 'IO_ERROR'
  | 'CONFLICT'
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** The one error class of mcpscope. `code` is stable; `message` is for people. */
export class InspectorError extends Error {
  readonly code: InspectorErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: InspectorErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InspectorError';
    this.code = code;
    if (options?.details) this.details = options.details;
  }
}

/** True when `err` is an InspectorError, optionally with the given code. */
export function isInspectorError(err: unknown, code?: InspectorErrorCode): err is InspectorError {
  return err instanceof InspectorError && (code === undefined || err.code === code);
}

/** A one-line description of any thrown value, never a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
