import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { readBodyBytes } from '../../core/http/readBody.js';
import type { OtlpFormat } from '../../otel/decodeOtlp.js';
import type { OtlpIngest } from '../../otel/otlpIngest.js';
import { HttpError } from '../errors.js';
import type { Route, RouteContext } from '../router.js';

const gunzipAsync = promisify(gunzip);

/** Default largest OTLP request body, compressed or not: 4 MiB. */
export const DEFAULT_OTLP_BODY_LIMIT = 4 * 1024 * 1024;

const TYPES: Record<string, OtlpFormat> = { 'application/x-protobuf': 'protobuf', 'application/json': 'json' };

/**
 * `POST /v1/traces`: OTLP/HTTP trace export (protobuf or JSON, optionally gzip), stored as
 * sessions by `ingest`. Needs the access token. Answers 415 for another content type or
 * encoding, 413 past `limit` bytes (before or after decompression), 400 for a body that is not
 * an export request (nothing is stored then), 503 when the gateway has no ingest; else 200 with
 * an ExportTraceServiceResponse in the request's format (`partialSuccess` counts rejected spans).
 */
export function otlpRoute(ingest: OtlpIngest | undefined, limit: number = DEFAULT_OTLP_BODY_LIMIT): Route {
  const post = async ({ req, res }: RouteContext) => {
    if (!ingest) throw new HttpError(503, 'UNAVAILABLE', 'OTLP ingest is not enabled on this gateway');
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const format = TYPES[type];
    if (!format) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'OTLP body must be application/x-protobuf or application/json', { Connection: 'close' });
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `unsupported Content-Encoding ${encoding}: use gzip or none`, { Connection: 'close' });
    let body = await readBody(req, limit);
    if (encoding === 'gzip') {
      try {
        body = await gunzipAsync(body, { maxOutputLength: limit });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit, 'decompressed ');
        throw new HttpError(400, 'INVALID_ARGUMENT', 'malformed gzip body');
      }
    }
    const result = await ingest.ingest(body, format);
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': result.response.byteLength, 'Cache-Control': 'no-store' });
    res.end(result.response);
  };
  return { path: '/v1/traces', methods: { POST: post }, auth: 'token' };
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit, '');
  const body = await readBodyBytes(req, limit);
  if (body === undefined) throw tooLarge(limit, '');
  return body;
}

function tooLarge(limit: number, what: string): HttpError {
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `OTLP ${what}body larger than ${limit} bytes`, { Connection: 'close' });
}
