import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { Span } from '../core/span.js';
import { scanTraceFile } from './fileLayout.js';
import type { MemberRecord } from './memberIndex.js';
import { inflateMembers } from './inflate.js';
import { parseSpanLine } from './spanLine.js';


/** What a read found besides spans; complete once iteration has finished. */
export interface ReadStats {
  /** Spans returned. */
  spans: number;
  /**
   * Lines that were not span JSON, plus damaged regions skipped between good gzip members and
   * places where the sidecar index disagreed with the file (then read from the file itself).
   */
  corruptLines: number;
  /** True when the trace ends in a torn (cut short or garbled) gzip member or a cut last line. */
  truncated: boolean;
}

/** Fresh, zeroed read stats. */
export function newReadStats(): ReadStats {
  return { spans: 0, corruptLines: 0, truncated: false };
}

/** Compressed bytes decompressed at once while streaming (a few MB of NDJSON in memory). */
const BATCH_BYTES = 1 << 20;

/**
 * Streams the spans of one trace file in batches (file order), gzip (any number of members,
 * torn tail tolerated) or plain JSONL, sniffed from the content. Decompresses a batch of
 * members on the threadpool while the previous batch is parsed. Throws the fs error when the
 * file cannot be opened.
 */
export async function* fileSpanBatches(path: string, stats: ReadStats, signal?: AbortSignal): AsyncGenerator<Span[]> {
  const fh = await open(path, 'r');
  let kind: 'empty' | 'gzip' | 'plain' = 'empty';
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    if (bytesRead > 0) kind = bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b ? 'gzip' : 'plain';
  } finally {
    if (kind !== 'gzip') await fh.close();
  }
  if (kind === 'empty') return;
  if (kind === 'plain') {
    yield* plainBatches(path, stats, signal);
    return;
  }
  let next: Promise<Buffer[]> | undefined;
  try {
    const layout = await scanTraceFile(path);
    stats.truncated ||= layout.truncated;
    stats.corruptLines += layout.corruptRegions + layout.indexMismatches;
    const batches = groupMembers(layout.members);
    const last = layout.members.at(-1);
    const load = (batch: MemberRecord[]): Promise<Buffer[]> => {
      const p = inflateBatch(fh, batch, (m) => {
        if (m === last) stats.truncated = true;
        else stats.corruptLines++;
      });
      p.catch(() => undefined); // awaited below; this only stops an early return from leaving it unhandled
      return p;
    };
    const lines = new LineBuffer(stats);
    next = batches.length > 0 ? load(batches[0]!) : undefined;
    for (let i = 0; i < batches.length; i++) {
      signal?.throwIfAborted();
      const data = await next!;
      next = i + 1 < batches.length ? load(batches[i + 1]!) : undefined;
      const spans: Span[] = [];
      for (const chunk of data) lines.push(chunk, spans);
      if (spans.length > 0) yield spans;
    }
    const rest = lines.end();
    if (rest.length > 0) yield rest;
  } finally {
    await next?.catch(() => undefined);
    await fh.close();
  }
}

/** Splits members into runs of contiguous members of about BATCH_BYTES compressed. */
function groupMembers(members: MemberRecord[]): MemberRecord[][] {
  const out: MemberRecord[][] = [];
  let cur: MemberRecord[] = [];
  let bytes = 0;
  for (const m of members) {
    const prev = cur.at(-1);
    if (prev && (bytes + m.length > BATCH_BYTES || prev.offset + prev.length !== m.offset)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(m);
    bytes += m.length;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Reads and gunzips a run of members; when the run fails, retries member by member. */
async function inflateBatch(fh: FileHandle, batch: MemberRecord[], onBad: (m: MemberRecord) => void): Promise<Buffer[]> {
  const first = batch[0]!;
  const lastM = batch.at(-1)!;
  const raw = Buffer.allocUnsafe(lastM.offset + lastM.length - first.offset);
  const { bytesRead } = await fh.read(raw, 0, raw.length, first.offset);
  const ndjsonLength = batch.reduce((n, m) => n + m.ndjsonLength, 0);
  try {
    if (bytesRead !== raw.length) throw new Error('short read');
    const data = await inflateMembers(raw, ndjsonLength);
    // gunzip stops quietly at bytes that do not start a member: a short result means damage.
    if (data.length !== ndjsonLength) throw new Error('member damaged');
    return [data];
  } catch {
    const out: Buffer[] = [];
    for (const m of batch) {
      const start = m.offset - first.offset;
      try {
        if (start + m.length > bytesRead) throw new Error('short read');
        const data = await inflateMembers(raw.subarray(start, start + m.length), m.ndjsonLength);
        if (data.length !== m.ndjsonLength) throw new Error('member damaged');
        out.push(data);
      } catch {
        onBad(m);
      }
    }
    return out;
  }
}

/** Turns chunks of NDJSON into spans, carrying partial lines over and counting bad ones. */
export class LineBuffer {
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';

  constructor(private readonly stats: ReadStats) {}

  /** Adds a chunk and appends the spans of its complete lines to `out`. */
  push(chunk: Buffer, out: Span[]): void {
    const text = this.carry + this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.line(text.slice(start, nl), out);
      start = nl + 1;
    }
    this.carry = text.slice(start);
  }

  /** Ends the input: returns the span of an unterminated last line, if it is one. */
  end(cutLineIsTruncation = false): Span[] {
    const rest = this.carry + this.decoder.end();
    this.carry = '';
    const out: Span[] = [];
    if (rest.trim() === '') return out;
    const span = parseSpanLine(rest);
    if (span) {
      this.stats.spans++;
      out.push(span);
    } else if (cutLineIsTruncation) this.stats.truncated = true;
    else this.stats.corruptLines++;
    return out;
  }

  private line(line: string, out: Span[]): void {
    if (line === '' || line === '\r') return;
    const span = parseSpanLine(line);
    if (span) {
      this.stats.spans++;
      out.push(span);
    } else this.stats.corruptLines++;
  }
}

async function* plainBatches(path: string, stats: ReadStats, signal?: AbortSignal): AsyncGenerator<Span[]> {
  const lines = new LineBuffer(stats);
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024, ...(signal ? { signal } : {}) })) {
    const spans: Span[] = [];
    lines.push(chunk as Buffer, spans);
    if (spans.length > 0) yield spans;
  }
  const rest = lines.end(true);
  if (rest.length > 0) yield rest;
}
