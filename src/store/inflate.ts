import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip) as (data: Buffer, options: { chunkSize: number }) => Promise<Buffer>;

/**
 * Output chunk size for inflating `ndjsonBytes` of known size: one chunk spares hundreds of
 * threadpool round trips per MB (zlib's default chunk is 16 KB).
 */
export function inflateChunkSize(ndjsonBytes: number): number {
  return Math.min(Math.max(ndjsonBytes + 64, 16 * 1024), 256 * 1024 * 1024);
}

/**
 * Inflates `raw` (one or more complete gzip members, off the event loop's thread) whose text
 * the member index says is `ndjsonBytes` long. Rejects on damaged bytes; gunzip stops quietly
 * at bytes that do not start a member, so callers compare the length with `ndjsonBytes`.
 */
export function inflateMembers(raw: Buffer, ndjsonBytes: number): Promise<Buffer> {
  return gunzipAsync(raw, { chunkSize: inflateChunkSize(ndjsonBytes) });
}
