import { LineSplitter } from './lineSplitter.js';

/** The forms a text takes inside a span line: as typed, JSON-escaped once (attribute values), twice (`*_json` values). */
export function needleForms(text: string): string[] {
  const once = JSON.stringify(text).slice(1, -1);
  const twice = JSON.stringify(once).slice(1, -1);
  return [...new Set([text, once, twice].map((s) => s.toLowerCase()))];
}

/** Position of `offset` in the ascending `offsets`, or -1. */
export function findOffset(offsets: (i: number) => number, count: number, offset: number): number {
  let lo = 0;
  let hi = count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = offsets(mid);
    if (v === offset) return mid;
    if (v < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Options of {@link scanPayloads}. */
export interface PayloadScanOptions {
  url: string;
  /** Lowercase text to find anywhere in a span's line (payloads included). */
  text: string;
  /** Bytes to scan: [0, end). */
  end: number;
  /** The loaded rows' byte offsets, ascending (file order), and how many there are. */
  offsetOf(i: number): number;
  count: number;
  /** Receives row positions (indexes into the offsets) of matching lines as they are found. */
  onHits(positions: number[]): void;
  onProgress?(scanned: number): void;
  signal: AbortSignal;
  chunk?: number;
  fetch?: typeof fetch;
}

/**
 * Finds `text` in the spans' full lines (request and response bodies, tool input and output)
 * by reading the trace again in byte ranges: rows keep no payloads, so this is the one search
 * that goes back to the server. Matches raw line text, so a word in an attribute key matches
 * too; hits stream in as chunks are read. Resolves when done, rejects when aborted.
 */
export async function scanPayloads(o: PayloadScanOptions): Promise<void> {
  const fetchFn = o.fetch ?? ((...args) => fetch(...args));
  const forms = needleForms(o.text);
  const chunk = o.chunk ?? 4 * 1024 * 1024;
  const splitter = new LineSplitter(0);
  for (let start = 0, guard = 0; start < o.end && guard < 1_000_000; guard++) {
    const last = Math.min(o.end, start + chunk) - 1;
    const res = await fetchFn(o.url, { headers: { Range: `bytes=${start}-${last}` }, cache: 'no-store', credentials: 'same-origin', signal: o.signal });
    if (res.status !== 206) throw new Error(`HTTP ${res.status} while searching the payloads`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length === 0) break;
    const hits: number[] = [];
    for (const line of splitter.push(bytes)) {
      const lower = line.text.toLowerCase();
      if (!forms.some((f) => lower.includes(f))) continue;
      const pos = findOffset(o.offsetOf, o.count, line.offset);
      if (pos >= 0) hits.push(pos);
    }
    if (hits.length > 0) o.onHits(hits);
    start += bytes.length;
    o.onProgress?.(start);
  }
}
