import { LineSplitter } from './lineSplitter.js';
import { createIntern, toSpanRow, type Intern, type SpanRow } from './spanRow.js';

/** Options of a TraceLoader. */
export interface TraceLoaderOptions {
  /** `/_inspector/trace/{id}` (the NDJSON representation). */
  url: string;
  /** Receives each batch of new rows, in file order. */
  onRows(rows: SpanRow[]): void;
  /** Called after each chunk with the bytes read and the body's size as the server last said. */
  onProgress?(loaded: number, total: number): void;
  /** The first chunk is small so the first rows show at once; later ones grow to `maxChunk`. Default 128 KiB. */
  firstChunk?: number;
  /** Default 4 MiB. */
  maxChunk?: number;
  fetch?: typeof fetch;
  /**
   * Before the first byte is read: how many spans the session's record says it has (undefined
   * when unknown). While it says 0 the trace itself is not asked (see `emptyNow`).
   */
  spanCountHint?: () => Promise<number | undefined>;
}

/** An HTTP answer the loader cannot work with (not a missing trace). */
export class TraceLoadError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * Reads a trace's NDJSON progressively with `Range: bytes=N-M` requests: rows are handed over
 * chunk by chunk (the next chunk is already on its way while one is parsed), and the same call
 * later reads only what was appended since (`readNew`), which is how live sessions are tailed.
 * Keeps no line text: each row remembers its byte range instead (see `fetchLine`).
 */
export class TraceLoader {
  /** Bytes consumed so far (complete lines plus a pending partial line). */
  loaded = 0;
  /** The body's size the server last reported. */
  total = 0;
  /** Lines that were not spans of the trace format's shape. */
  skipped = 0;
  /** The trace does not exist (yet): 404 on the last read. */
  missing = false;
  private rows = 0;
  private readonly splitter = new LineSplitter(0);
  private readonly intern: Intern = createIntern();
  private readonly fetchFn: typeof fetch;
  private chunk: number;
  private readonly maxChunk: number;
  private busy: Promise<boolean> | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly options: TraceLoaderOptions) {
    this.fetchFn = options.fetch ?? ((...args) => fetch(...args));
    this.chunk = options.firstChunk ?? 128 * 1024;
    this.maxChunk = options.maxChunk ?? 4 * 1024 * 1024;
  }

  /**
   * Reads from where the last read stopped to the current end of the trace; resolves true when
   * any bytes came. Concurrent calls share one read.
   */
  readNew(): Promise<boolean> {
    this.busy ??= this.readLoop().finally(() => {
      this.busy = undefined;
    });
    return this.busy;
  }

  /**
   * True when the session's record says it has no spans: the trace is not asked at all then,
   * since an empty trace cannot satisfy a range (416) and a live session's files may not exist
   * yet (404), both of which the browser logs as errors. The record's count runs ahead of the
   * file by up to one batch interval; a read in that gap gets 200 and no bytes (the server
   * ignores Range on an empty trace), and the next poll finds the spans.
   */
  private async emptyNow(): Promise<boolean> {
    if (!this.options.spanCountHint) return false;
    return (await this.options.spanCountHint().catch(() => undefined)) === 0;
  }

  /** Stops reading; pending requests are aborted. */
  destroy(): void {
    this.abort.abort();
  }

  private async readLoop(): Promise<boolean> {
    let got = false;
    let next: Promise<Uint8Array | undefined> | undefined = this.request(this.splitter.nextOffset, this.chunk);
    for (let guard = 0; next && guard < 1_000_000; guard++) {
      const bytes: Uint8Array | undefined = await next;
      if (!bytes || bytes.length === 0) break;
      got = true;
      const asked = this.chunk;
      this.chunk = Math.min(this.maxChunk, this.chunk * 4);
      const full: boolean = bytes.length >= asked;
      // Ask for the next chunk before parsing this one: the network works while we parse.
      const nextStart: number = this.splitter.nextOffset + bytes.length;
      next = full ? this.request(nextStart, this.chunk) : undefined;
      this.consume(bytes);
    }
    return got;
  }

  private consume(bytes: Uint8Array): void {
    const lines = this.splitter.push(bytes);
    const out: SpanRow[] = [];
    for (const line of lines) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line.text);
      } catch {
        this.skipped++;
        continue;
      }
      const row = toSpanRow(parsed, this.rows, line.offset, line.length, this.intern);
      if (row) {
        this.rows++;
        out.push(row);
      } else this.skipped++;
    }
    this.loaded = this.splitter.nextOffset;
    if (out.length > 0) this.options.onRows(out);
    this.options.onProgress?.(this.loaded, Math.max(this.total, this.loaded));
  }

  /**
   * GETs bytes [start, start+length); undefined at the end of the trace. Past the start, the
   * range begins one byte early (the `\n` already read), so a trace that has not grown answers
   * 206 with that byte rather than 416: polling a live trace leaves no errors in the console.
   */
  private async request(start: number, length: number): Promise<Uint8Array | undefined> {
    if (start === 0 && this.total === 0 && (await this.emptyNow())) return undefined;
    const from = start > 0 ? start - 1 : 0;
    const res = await this.fetchFn(this.options.url, {
      headers: { Range: `bytes=${from}-${start + length - 1}` },
      cache: 'no-store',
      credentials: 'same-origin',
      signal: this.abort.signal,
    });
    this.missing = res.status === 404;
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (res.status === 416) {
      await res.body?.cancel();
      const size = Number(/\/(\d+)/.exec(res.headers.get('content-range') ?? '')?.[1] ?? Number.NaN);
      if (Number.isFinite(size)) this.total = size;
      if (size < start) throw new TraceLoadError(`the trace shrank to ${size} bytes below the ${start} already read: reload the page`, 416);
      return undefined;
    }
    if (res.status === 206) {
      const m = /bytes (\d+)-(\d+)\/(\d+)/.exec(res.headers.get('content-range') ?? '');
      if (!m || Number(m[1]) !== from) throw new TraceLoadError(`unexpected Content-Range ${res.headers.get('content-range')}`, 206);
      this.total = Number(m[3]);
      if (this.total < start) throw new TraceLoadError(`the trace shrank to ${this.total} bytes below the ${start} already read: reload the page`, 206);
      return new Uint8Array(await res.arrayBuffer()).subarray(start - from);
    }
    if (res.status === 200) {
      // The server sent the whole body (it may ignore Range): keep what we did not have.
      const all = new Uint8Array(await res.arrayBuffer());
      this.total = all.length;
      return all.subarray(Math.min(start, all.length), Math.min(all.length, start + length));
    }
    let message = `HTTP ${res.status}`;
    try {
      const body = (await res.json()) as { error?: { message?: string } };
      if (body.error?.message) message = body.error.message;
    } catch {
      // not JSON: the status says enough
    }
    throw new TraceLoadError(message, res.status);
  }
}

/** The span count the session's record (`GET /_inspector/sessions/{id}`) states, or undefined. */
export async function sessionSpanCount(sessionId: string, fetchFn: typeof fetch = fetch): Promise<number | undefined> {
  const res = await fetchFn(`/_inspector/sessions/${encodeURIComponent(sessionId)}`, { cache: 'no-store', credentials: 'same-origin' });
  if (!res.ok) return undefined;
  const body = (await res.json()) as { session?: { span_count?: unknown } };
  return typeof body.session?.span_count === 'number' ? body.session.span_count : undefined;
}

/** Fetches the full span of a row again by its byte range and parses it. */
export async function fetchLine(url: string, offset: number, length: number, fetchFn: typeof fetch = fetch): Promise<unknown> {
  const res = await fetchFn(url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` }, cache: 'no-store', credentials: 'same-origin' });
  if (res.status !== 206 && res.status !== 200) throw new TraceLoadError(`HTTP ${res.status} reading the span`, res.status);
  let bytes = new Uint8Array(await res.arrayBuffer());
  if (res.status === 200) bytes = bytes.subarray(offset, offset + length);
  return JSON.parse(new TextDecoder().decode(bytes));
}
