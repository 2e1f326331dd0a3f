import type { ServerResponse } from 'node:http';
import { httpStatusOf } from '../core/errorStatus.js';
import { isInspectorError } from '../core/errors.js';

/**
 * An error that belongs to HTTP itself (no route, wrong method, missing token, body too
 * large...), with its status. Domain errors stay InspectorErrors and are mapped by
 * {@link toHttpError}; this class exists only for statuses those codes cannot express.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/**
 * The one error-to-status mapper of the gateway. HttpErrors keep their status; InspectorErrors
 * map by code (400 bad input, 404 unknown, 409 wrong state, 503 unavailable, 500 otherwise);
 * anything else is a 500 whose message is generic, so no internal detail or stack leaks.
 */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (isInspectorError(err)) return new HttpError(httpStatusOf(err.code), err.code, err.message);
  return new HttpError(500, 'INTERNAL', 'internal error');
}

/**
 * Answers `err` as `{ "error": { "code", "message" } }` with its mapped status, or, when the
 * head was already sent, ends the connection (a half-sent body cannot be repaired).
 * Unexpected errors (status 500 not from an InspectorError) are passed to `log` once.
 */
export function sendError(res: ServerResponse, err: unknown, log?: (line: string) => void): void {
  const httpErr = toHttpError(err);
  if (log && httpErr.status >= 500) log(`mcpscope: http error: ${err instanceof Error ? err.message : String(err)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code: httpErr.code, message: httpErr.message } });
  // Drop headers a failed handler may have set for the success case (ETag, Content-Range...).
  for (const name of res.getHeaderNames()) {
    if (!KEEP_ON_ERROR.has(name)) res.removeHeader(name);
  }
  res.writeHead(httpErr.status, {
    ...httpErr.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

const KEEP_ON_ERROR = new Set(['x-content-type-options', 'access-control-allow-origin', 'vary', 'connection', 'access-control-expose-headers']);

/** Sends a JSON body with `status` (default 200). */
export function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}
