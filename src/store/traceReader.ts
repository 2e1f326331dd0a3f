import { InspectorError } from '../core/errors.js';
import { assertSessionId } from '../core/ids.js';
import type { Span } from '../core/span.js';
import { fileSpanBatches, newReadStats, type ReadStats } from './fileSpans.js';
import { findTraceParts, hasMetaOnly } from './traceParts.js';

export type { ReadStats } from './fileSpans.js';
export { readTail } from './traceTail.js';

/** Spans of a trace, streamed in file order (= end order); `stats` is complete after iteration. */
export type TraceReadResult = AsyncIterable<Span> & { readonly stats: ReadStats };

/** Options of readSpans. */
export interface ReadSpansOptions {
  /** Stops the iteration (it throws the abort reason) between batches. */
  signal?: AbortSignal;
}

/**
 * Streams the spans of a session across its rotated parts without loading the trace:
 * a few MB of it are in memory at a time. Good members of a file with a torn tail are all
 * returned (`stats.truncated` says so); lines that are not spans are skipped and counted.
 * Throws INVALID_SESSION_ID at once; iteration rejects with SESSION_NOT_FOUND for unknown ids.
 * Each iteration reads the files afresh.
 */
export function readSpans(tracesDir: string, sessionId: string, options: ReadSpansOptions = {}): TraceReadResult {
  const id = assertSessionId(sessionId);
  const stats = newReadStats();
  return {
    stats,
    async *[Symbol.asyncIterator]() {
      Object.assign(stats, newReadStats());
      for await (const batch of sessionBatches(tracesDir, id, stats, options.signal)) yield* batch;
    },
  };
}

/** Reads a whole session trace into memory (see readSpans). */
export async function readTrace(tracesDir: string, sessionId: string): Promise<{ spans: Span[]; stats: ReadStats }> {
  const id = assertSessionId(sessionId);
  const stats = newReadStats();
  const spans: Span[] = [];
  for await (const batch of sessionBatches(tracesDir, id, stats)) {
    for (const span of batch) spans.push(span);
  }
  return { spans, stats };
}

/**
 * Streams the spans of any trace file: gzip (`.jsonl.gz`, any members) or plain JSONL,
 * told apart by content. Iteration rejects with IO_ERROR when the file cannot be read.
 */
export function readTraceFile(path: string, options: ReadSpansOptions = {}): TraceReadResult {
  const stats = newReadStats();
  return {
    stats,
    async *[Symbol.asyncIterator]() {
      Object.assign(stats, newReadStats());
      try {
        for await (const batch of fileSpanBatches(path, stats, options.signal)) yield* batch;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === undefined || err instanceof InspectorError) throw err;
        throw new InspectorError('IO_ERROR', `cannot read trace file ${path}: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}

async function* sessionBatches(tracesDir: string, id: string, stats: ReadStats, signal?: AbortSignal): AsyncGenerator<Span[]> {
  const parts = await findTraceParts(tracesDir, id);
  const files = parts.gz.length > 0 ? parts.gz : parts.plain ? [parts.plain] : [];
  if (files.length === 0) {
    if (await hasMetaOnly(tracesDir, id)) return;
    throw new InspectorError('SESSION_NOT_FOUND', `no trace for session ${id}`);
  }
  for (const path of files) {
    try {
      yield* fileSpanBatches(path, stats, signal);
    } catch (err) {
      // A part deleted between listing and reading (retention) ends the trace there.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
  }
}
