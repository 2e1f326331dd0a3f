import type { IncomingMessage } from 'node:http';
import { readBodyBytes } from '../core/http/readBody.js';
import { MAX_JSON_DEPTH, jsonTextTooDeep } from '../core/jsonDepth.js';
import { HttpError } from './errors.js';

/** Default limit of a JSON request body: 64 KB. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * Reads a JSON request body of at most `limit` bytes. An empty body yields `undefined` when
 * `allowEmpty`. Throws HttpError 415 (not `application/json`), 413 (declared or actual size
 * over `limit`; the rest of the body is then not read and the connection is closed) or
 * 400 (not UTF-8 JSON, or nested deeper than MAX_JSON_DEPTH).
 */
export async function readJsonBody(req: IncomingMessage, options: { limit?: number; allowEmpty?: boolean } = {}): Promise<unknown> {
  const limit = options.limit ?? DEFAULT_BODY_LIMIT;
  const declared = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (declared === undefined || declared === '0')) {
    if (options.allowEmpty) return undefined;
    throw new HttpError(400, 'INVALID_ARGUMENT', 'request body required: a JSON object');
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'request body must be application/json', { Connection: 'close' });
  }
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
  const bytes = await readBodyBytes(req, limit);
  if (bytes === undefined) throw tooLarge(limit);
  if (bytes.length === 0) {
    if (options.allowEmpty) return undefined;
    throw new HttpError(400, 'INVALID_ARGUMENT', 'request body required: a JSON object');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'INVALID_ARGUMENT', 'request body is not valid UTF-8');
  }
  if (jsonTextTooDeep(text)) throw new HttpError(400, 'INVALID_ARGUMENT', `request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, 'INVALID_ARGUMENT', `malformed JSON body: ${err instanceof Error ? err.message : 'parse error'}`);
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body larger than ${limit} bytes`, { Connection: 'close' });
}
