import type { ServerResponse } from 'node:http';
import { pipeline, Readable, type Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import { assertSessionId } from '../../core/ids.js';
import { TRACE_FILE_SUFFIX, loadTraceLayout, openGzipRange, openNdjsonRange, verifyTraceRange, type TraceLayout } from '../../store/traceLayout.js';
import { acceptsGzip, decideRange, ifNoneMatchHits, quoteEtag } from '../conditional.js';
import { HttpError } from '../errors.js';
import type { Route, RouteContext } from '../router.js';

/** A gzip file holding nothing: what a session without any intact member downloads as. */
const EMPTY_GZIP = Buffer.from('1f8b08000000000000030300000000000000000000', 'hex');
/** Response header that says what a damaged trace file cost (see warnOnce). */
export const TRACE_WARNING_HEADER = 'Mcpscope-Warning';

/**
 * `GET|HEAD /_inspector/trace/{session_id}`: the NDJSON of a trace, with a strong ETag that
 * changes as the trace grows, `If-None-Match` (304), single byte ranges (206, `If-Range`,
 * 416 with `bytes *\/len`, but 200 for an empty trace; several ranges get the whole body), and
 * gzip for full responses when accepted. `.../{session_id}.jsonl.gz` serves the stored file
 * bytes (complete gzip members only) with ranges over them, never content-encoded. 206s are
 * never encoded.
 * Every member is verified before a length is promised; damaged ones are left out, said in a
 * `Mcpscope-Warning` header and logged once per trace version.
 */
export function traceRoute(options: { tracesDir: string; log: (line: string) => void }): Route {
  const warned = new Set<string>();
  const handler = async ({ req, res, params, query }: RouteContext): Promise<void> => {
    if ([...query.keys()].length > 0) throw new HttpError(400, 'INVALID_ARGUMENT', 'this route takes no query parameters');
    const raw = params.file ?? '';
    const gzipFile = raw.endsWith(TRACE_FILE_SUFFIX);
    // Validated before any path is built: rejects '..', '/', NUL, over-long ids and the like.
    const sessionId = assertSessionId(gzipFile ? raw.slice(0, -TRACE_FILE_SUFFIX.length) : raw);
    const layout = await verifiedLayout(req, options.tracesDir, sessionId, gzipFile);
    if (layout.damaged > 0) {
      const warning = `${layout.damaged} damaged region(s) of the trace file left out; every intact span is included`;
      res.setHeader(TRACE_WARNING_HEADER, warning);
      if (!warned.has(layout.etag)) {
        if (warned.size >= 1000) warned.clear();
        warned.add(layout.etag);
        options.log(`trace ${sessionId}: ${warning}`);
      }
    }
    const head = req.method === 'HEAD';
    if (gzipFile) return serveStoredFile(req, res, layout, head);
    return serveNdjson(req, res, layout, head);
  };
  return { path: '/_inspector/trace/:file', methods: { GET: handler, HEAD: handler }, auth: 'open' };
}

type Req = RouteContext['req'];

/**
 * The layout to answer from, with the members the response will send inflated and found whole
 * first (a member garbled inside is only found that way): a bad one is left out and the
 * layout reloaded, so the length promised in the head is the length sent.
 */
async function verifiedLayout(req: Req, tracesDir: string, sessionId: string, gzipFile: boolean): Promise<TraceLayout> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const layout = await loadTraceLayout(tracesDir, sessionId);
    const size = gzipFile ? layout.gzipBytes : layout.ndjsonBytes;
    if (size === 0) return layout;
    const range = decideRange(req, size, quoteEtag(layout.etag, gzipFile ? '-file' : ''));
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, size - 1];
    if (range.kind === 'unsatisfiable' || (await verifyTraceRange(layout, gzipFile ? 'gzip' : 'ndjson', start, end))) return layout;
  }
  return loadTraceLayout(tracesDir, sessionId, { verify: true });
}

function serveNdjson(req: Req, res: ServerResponse, layout: TraceLayout, head: boolean): void {
  const size = layout.ndjsonBytes;
  const etag = quoteEtag(layout.etag);
  const gzEtag = quoteEtag(layout.etag, '-gzip');
  const gzip = acceptsGzip(req) && size > 0;
  res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Vary', 'Accept-Encoding');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  if (ifNoneMatchHits(req, [etag, gzEtag])) return notModified(res, gzip ? gzEtag : etag);
  // An empty trace (a session whose first spans are not on disk yet) ignores Range, as RFC 9110
  // allows: 200 and no body, where a 416 is what a browser polling the trace logs as an error.
  const range = size === 0 ? undefined : decideRange(req, size, etag);
  if (range?.kind === 'unsatisfiable') throw unsatisfiable(size);
  if (range?.kind === 'partial') {
    res.setHeader('ETag', etag);
    return sendPartial(res, range.start, range.end, size, head, () => openNdjsonRange(layout, range.start, range.end));
  }
  if (!gzip) {
    const body = head || size === 0 ? undefined : openNdjsonRange(layout, 0, size - 1);
    res.writeHead(200, { ETag: etag, 'Content-Length': size });
    return send(res, body);
  }
  res.setHeader('ETag', gzEtag);
  res.setHeader('Content-Encoding', 'gzip');
  if (layout.files.length === 1 && layout.members.length === 1) {
    // One stored member is already a complete single-member gzip of the whole NDJSON:
    // send it as is (decoders that stop after the first member still see everything).
    const body = head ? undefined : openGzipRange(layout, 0, layout.gzipBytes - 1);
    res.writeHead(200, { 'Content-Length': layout.gzipBytes });
    return send(res, body);
  }
  // Several members: re-encode as one member, since some decoders (curl, browsers) stop at the first.
  const body = head ? undefined : openNdjsonRange(layout, 0, size - 1);
  res.writeHead(200);
  return send(res, body, createGzip({ level: 4 }));
}

function serveStoredFile(req: Req, res: ServerResponse, layout: TraceLayout, head: boolean): void {
  // A download is always a readable gzip file, even for a session with no intact member yet.
  const empty = layout.gzipBytes === 0;
  const size = empty ? EMPTY_GZIP.length : layout.gzipBytes;
  const open = (start: number, end: number): Readable => (empty ? Readable.from([EMPTY_GZIP.subarray(start, end + 1)]) : openGzipRange(layout, start, end));
  const etag = quoteEtag(layout.etag, '-file');
  res.setHeader('Content-Type', 'application/gzip');
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Content-Disposition', `attachment; filename="${layout.sessionId}${TRACE_FILE_SUFFIX}"`);
  if (ifNoneMatchHits(req, [etag])) return notModified(res, etag);
  res.setHeader('ETag', etag);
  const range = decideRange(req, size, etag);
  if (range.kind === 'unsatisfiable') throw unsatisfiable(size);
  if (range.kind === 'partial') return sendPartial(res, range.start, range.end, size, head, () => open(range.start, range.end));
  const body = head ? undefined : open(0, size - 1);
  res.writeHead(200, { 'Content-Length': size });
  return send(res, body);
}

function sendPartial(res: ServerResponse, start: number, end: number, size: number, head: boolean, open: () => Readable): void {
  const body = head ? undefined : open();
  res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1 });
  send(res, body);
}

function notModified(res: ServerResponse, etag: string): void {
  res.removeHeader('Content-Type');
  res.writeHead(304, { ETag: etag });
  res.end();
}

function unsatisfiable(size: number): HttpError {
  return new HttpError(416, 'RANGE_NOT_SATISFIABLE', `range not satisfiable: the representation has ${size} bytes`, { 'Content-Range': `bytes */${size}` });
}

/**
 * Streams `body` (through `encoder` when given) to `res`, or ends it when there is no body.
 * A failure mid-body aborts the connection: the head is sent, so no error body can follow.
 */
function send(res: ServerResponse, body: Readable | undefined, encoder?: Transform): void {
  if (!body) {
    encoder?.destroy();
    res.end();
    return;
  }
  const done = (err: Error | null) => {
    if (err && !res.destroyed) res.destroy();
  };
  if (encoder) pipeline(body, encoder, res, done);
  else pipeline(body, res, done);
}
