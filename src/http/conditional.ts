import type { IncomingMessage } from 'node:http';
import parseRange from 'range-parser';

/** What to send for a GET of a representation of `size` bytes. */
export type RangeDecision =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/** Returns `etag` (quoted or not) as a quoted strong entity tag, with `suffix` appended inside the quotes. */
export function quoteEtag(etag: string, suffix = ''): string {
  const bare = etag.replace(/^W\//, '').replace(/^"|"$/g, '');
  return `"${(bare + suffix).replace(/["\\\s]/g, '')}"`;
}

/** True when `If-None-Match` lists `*` or one of `etags` (weak comparison, RFC 9110 13.1.2). */
export function ifNoneMatchHits(req: IncomingMessage, etags: string[]): boolean {
  const header = req.headers['if-none-match'];
  if (header === undefined) return false;
  const listed = header.split(',').map((t) => t.trim().replace(/^W\//, ''));
  return listed.some((t) => t === '*' || etags.includes(t));
}

/**
 * Decides how to answer the `Range` header for a representation of `size` bytes with strong
 * tag `etag`. Full when there is no Range, it is malformed or not `bytes`, `If-Range` does not
 * strongly match (a date counts as no match: we have no Last-Modified), or several ranges
 * were asked for (allowed by RFC 9110 14.2). A suffix longer than the body means all of it.
 */
export function decideRange(req: IncomingMessage, size: number, etag: string): RangeDecision {
  const header = req.headers.range;
  if (header === undefined || header.length > 1024) return { kind: 'full' };
  const ifRange = req.headers['if-range'];
  if (ifRange !== undefined && String(ifRange).trim() !== etag) return { kind: 'full' };
  const suffix = /^bytes=\s*-(\d{1,15})\s*$/.exec(header);
  if (suffix) {
    const n = Number(suffix[1]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const ranges = parseRange(size, header, { combine: true });
  if (ranges === -2) return { kind: 'full' };
  if (ranges === -1) return { kind: 'unsatisfiable' };
  if (ranges.type !== 'bytes') return { kind: 'full' };
  if (ranges.length !== 1) return { kind: 'full' };
  const [range] = ranges;
  return { kind: 'partial', start: range!.start, end: range!.end };
}

/** True when `Accept-Encoding` accepts gzip with a non-zero quality (explicitly or through `*`). */
export function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  let gzip: number | undefined;
  let star: number | undefined;
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const quality = Number.isFinite(q) ? q : 0;
    if (name === 'gzip' || name === 'x-gzip') gzip = quality;
    else if (name === '*') star = quality;
  }
  return (gzip ?? star ?? 0) > 0;
}
