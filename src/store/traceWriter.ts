import { isInspectorError } from '../core/errors.js';
import { assertSessionId } from '../core/ids.js';
import { capJsonAttributes } from '../core/jsonAttributes.js';
import { isErrorKind, OutcomeTally, sessionOutcome } from '../core/outcome.js';
import { FINAL_STATUSES, type SessionMeta, type SessionStatus } from '../core/session.js';
import type { Span } from '../core/span.js';
import type { OpenRequestSource, OpenRequestTracking, SpanSink } from '../core/spanSink.js';
import { durationMs, nowIso } from '../core/time.js';
import { createInflightSidecar, type InflightSidecar } from './inflightSidecar.js';
import { createMemberCompressor, type MemberCompressor } from './memberCompressor.js';
import { readMetaFile, writeMetaFile } from './metaFile.js';
import { ensureTracesDir, metaFilePath } from './paths.js';
import { countTraceParts } from './memberCounts.js';
import { acquireSessionLock, type SessionLock } from './sessionLock.js';
import { createTracePart, reopenTracePart, type AppendMember, type TracePartFile } from './tracePartFile.js';
import { findTraceParts } from './traceParts.js';
import { readTrace } from './traceReader.js';
import { settleAbandonedRequests } from './settleAbandoned.js';
import { resolveWriterOptions, type ResolvedWriterOptions, type TraceWriterOptions } from './traceWriterOptions.js';

export type { TraceWriterOptions } from './traceWriterOptions.js';
export { DEFAULT_GZIP_LEVEL, DEFAULT_ROTATE_BYTES } from './traceWriterOptions.js';


/** Least time between two meta updates driven by flushes (status changes and close write at once). */
const META_INTERVAL_MS = 1000;

/** Extra room in a batch buffer past `flushBytes`, so the span that fills a batch fits too. */
const BATCH_SLACK = 16 * 1024;

/** Most ready members written with one call. */
const GROUP_MAX = 64;

/** One batch on its way to the file. */
interface Batch {
  spans: number;
  /** Spans counted as errors in this batch. */
  errors: number;
  /** Uncompressed (NDJSON) byte length. */
  ndjsonLength: number;
  member: Buffer | undefined;
  error: unknown;
  /** Settles (never rejects) once `member` or `error` is set. */
  done: Promise<void>;
}

type ReadyBatch = Batch & { member: Buffer } & AppendMember;

/** The per-session trace writer: a SpanSink that also owns the session's meta record. */
export interface TraceWriter extends SpanSink {
  readonly sessionId: string;
  /** The current meta (a copy): counts include spans not yet flushed. */
  meta(): SessionMeta;
  /** Records a status change and writes the meta record (`waiting_on` is cleared unless given). */
  setStatus(status: SessionStatus, extra?: { waiting_on?: string; reason?: string }): void;
  /**
   * Flushes, closes the files and writes the final meta: status `final.status`, else the
   * current status when already final, else `completed`; `ended_at`, `duration_ms`; no pid.
   * Idempotent: later calls return the first call's promise. Spans written after are dropped.
   */
  close(final?: { status?: SessionStatus; reason?: string }): Promise<void>;
}

/**
 * Starts recording a session to `<tracesDir>/<sessionId>.jsonl.gz`. Synchronous: the directory
 * (mode 0700), the meta record and the file are set up asynchronously, and spans written
 * meanwhile wait in memory. `write` serialises the span once, straight into the current
 * batch's UTF-8 buffer; batches (every `flushIntervalMs` or `flushBytes`) go to the shared
 * compression worker thread (see createMemberCompressor; a batch waits for it 30 ms at most),
 * which keeps working while the caller's event loop is busy, and are appended as one gzip member each, in order
 * (members ready together go out in one writev), so a crash loses at most the unflushed batch. An existing trace
 * of the same session is continued after its torn tail (if any) is cut off, its counts taken
 * from the files (not from a meta a crashed writer left behind). No part file exists until its
 * first member is written, so a session that records nothing leaves no unreadable file.
 * One writer per session: the session's lock is taken here, before anything is opened, and
 * given up by `close`. I/O errors go to `onError` and never throw. Throws INVALID_SESSION_ID /
 * INVALID_ARGUMENT for bad options, CONFLICT when another live writer records the session.
 */
export function createTraceWriter(options: TraceWriterOptions): TraceWriter {
  assertSessionId(options.sessionId);
  return new GzipTraceWriter(resolveWriterOptions(options));
}

/** The session's lock; only a live other writer stops us (an I/O failure shows up in open, via onError). */
function takeLock(o: ResolvedWriterOptions): SessionLock {
  try {
    return acquireSessionLock(o.tracesDir, o.sessionId);
  } catch (err) {
    if (isInspectorError(err, 'CONFLICT')) throw err;
    return { path: '', release: () => undefined };
  }
}

class GzipTraceWriter implements TraceWriter {
  readonly sessionId: string;
  private readonly state: SessionMeta;
  /** The batch being filled: serialised lines, UTF-8, each ending in a newline. */
  private batch: Buffer | undefined;
  private batchBytes = 0;
  private batchSpans = 0;
  private readonly compressor: MemberCompressor;
  /** Batches handed to the compressor and not yet appended, oldest first. */
  private inflight: Batch[] = [];
  private pumping: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private file: TracePartFile | undefined;
  /** Part the next created file gets (when `file` is undefined). */
  private nextPart = 0;
  private readonly lock: SessionLock;
  /** `state.error_count` when the current batch began: the batch's errors are the difference. */
  private errorsBefore = 0;
  private readonly ready: Promise<boolean>;
  private broken = false;
  private closing: Promise<void> | undefined;
  private appended = 0;
  private metaWrite: Promise<void> | undefined;
  private metaDirty = false;
  private lastMetaAt = 0;
  private metaTimer: NodeJS.Timeout | undefined;
  private readonly tally = new OutcomeTally();
  /** Crash evidence: the open requests of the recorders feeding this writer, kept beside the trace. */
  private readonly openRequests: InflightSidecar;

  constructor(private readonly o: ResolvedWriterOptions) {
    this.sessionId = o.sessionId;
    this.lock = takeLock(o);
    this.compressor = createMemberCompressor(o.gzipLevel);
    this.state = {
      id: o.sessionId,
      title: o.title,
      engine: o.engine,
      status: 'running',
      started_at: nowIso(),
      span_count: 0,
      error_count: 0,
      ...(o.tags ? { tags: { ...o.tags } } : {}),
      pid: process.pid,
    };
    this.ready = this.open().then(
      () => true,
      (err: unknown) => {
        this.fail(err);
        return false;
      },
    );
    this.openRequests = createInflightSidecar({ tracesDir: o.tracesDir, sessionId: o.sessionId, intervalMs: o.flushIntervalMs, ready: this.ready, onError: (err) => this.report(err) });
  }

  /** Keeps `source`'s long-open requests in `<id>.inflight.json` until close (see createInflightSidecar). */
  trackOpenRequests(source: OpenRequestSource): OpenRequestTracking {
    return this.openRequests.track(source);
  }

  write(span: Span): void {
    if (this.closing) return;
    try {
      capJsonAttributes(span.attributes);
      const line = JSON.stringify(span);
      // A UTF-16 unit is at most 3 UTF-8 bytes: count exactly only when the worst case does not fit.
      if (this.batch === undefined || this.batchBytes + line.length * 3 + 1 > this.batch.length) this.makeRoom(line);
      const batch = this.batch!;
      this.batchBytes += batch.write(line, this.batchBytes);
      batch[this.batchBytes++] = 0x0a;
      this.batchSpans++;
      this.state.span_count++;
      if (isErrorKind(this.tally.add(span).kind)) this.state.error_count++;
      if (this.batchBytes >= this.o.flushBytes) this.flushPending();
      else this.timer ??= setTimeout(this.onTimer, this.o.flushIntervalMs);
    } catch (err) {
      this.report(err);
    }
  }

  /** Makes sure the batch has room for `line` and its newline: flushes or grows it. */
  private makeRoom(line: string): void {
    const need = Buffer.byteLength(line) + 1;
    if (this.batch && this.batchBytes + need <= this.batch.length) return;
    if (this.batchBytes > 0) this.flushPending();
    // Room for a full batch plus one more span, so the flush-size check fires before it overflows.
    if (!this.batch || need > this.batch.length) this.batch = this.compressor.batchBuffer(Math.max(this.o.flushBytes + BATCH_SLACK, need));
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.flushPending();
  };

  async flush(): Promise<void> {
    this.flushPending();
    await this.drain();
  }

  /** Resolves once every batch queued so far has been appended (or dropped with an error). */
  private async drain(): Promise<void> {
    for (let i = 0; i < 1_000_000 && this.pumping; i++) await this.pumping;
  }

  meta(): SessionMeta {
    return { ...this.state, ...(this.state.tags ? { tags: { ...this.state.tags } } : {}) };
  }

  setStatus(status: SessionStatus, extra: { waiting_on?: string; reason?: string } = {}): void {
    if (this.closing) return;
    this.state.status = status;
    if (extra.waiting_on !== undefined) this.state.waiting_on = extra.waiting_on;
    else delete this.state.waiting_on;
    if (extra.reason !== undefined) this.state.reason = extra.reason;
    void this.persistMeta();
  }

  close(final: { status?: SessionStatus; reason?: string } = {}): Promise<void> {
    this.closing ??= this.finish(final);
    return this.closing;
  }

  private async finish(final: { status?: SessionStatus; reason?: string }): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.metaTimer) clearTimeout(this.metaTimer);
    this.flushPending();
    await this.drain();
    await this.openRequests.close();
    const s = this.state;
    s.status = final.status ?? (FINAL_STATUSES.has(s.status) ? s.status : 'completed');
    if (final.reason !== undefined) s.reason = final.reason;
    const outcome = sessionOutcome(s, this.tally);
    s.status = outcome.status;
    if (outcome.reason !== undefined) s.reason = outcome.reason;
    delete s.waiting_on;
    delete s.pid;
    s.ended_at = nowIso();
    s.duration_ms = Math.max(0, durationMs(s.started_at, s.ended_at));
    await this.compressor.close();
    if (this.file) {
      await this.file.close(false).catch((err: unknown) => this.report(err));
      this.file = undefined;
    }
    await this.persistMeta();
    this.lock.release();
  }

  /** Directory, meta (merged with a previous writer's), then the last part after repair. */
  private async open(): Promise<void> {
    const { tracesDir, sessionId } = this.o;
    await ensureTracesDir(tracesDir);
    // A dead writer's requests left in flight become spans first, so the count below includes them.
    await settleAbandonedRequests(tracesDir, sessionId, (err) => this.report(err));
    const previous = await readMetaFile(metaFilePath(tracesDir, sessionId));
    const parts = await findTraceParts(tracesDir, sessionId);
    // Counts come from the files: a meta left by a writer that died is behind them.
    const found = await countTraceParts(parts.gz);
    this.state.span_count += found.spans;
    this.state.error_count += found.errors;
    this.errorsBefore += found.errors;
    if (previous) {
      this.state.started_at = previous.started_at;
      if (previous.tags) this.state.tags = { ...previous.tags, ...this.state.tags };
    } else if (parts.gz.length > 0) {
      const { spans } = await readTrace(tracesDir, sessionId);
      // Counted above from the files; the tally only learns the earlier errors' reasons.
      for (const sp of spans) this.tally.add(sp);
      if (spans[0]) this.state.started_at = spans.reduce((min, sp) => (sp.start_time < min ? sp.start_time : min), spans[0].start_time);
    }
    await this.writeMetaNow();
    this.file = await reopenTracePart(tracesDir, sessionId, parts.gz.length - 1);
    this.nextPart = this.file ? this.file.part + 1 : Math.max(0, parts.gz.length - 1);
  }

  /** Hands the batch to the compressor. A pending timer stays armed: it flushes whatever is newer. */
  private flushPending(): void {
    if (this.batchSpans === 0) return;
    const data = this.batch!.subarray(0, this.batchBytes);
    const errors = Math.min(this.batchSpans, Math.max(0, this.state.error_count - this.errorsBefore));
    this.errorsBefore = this.state.error_count;
    const batch: Batch = { spans: this.batchSpans, errors, ndjsonLength: this.batchBytes, member: undefined, error: undefined, done: undefined! };
    this.batch = undefined; // its memory moves to the compressor
    this.batchBytes = 0;
    this.batchSpans = 0;
    batch.done = this.compressor.compressOwned(data).then(
      (m) => void (batch.member = m),
      (err: unknown) => void (batch.error = err ?? new Error('compression failed')),
    );
    this.inflight.push(batch);
    this.pumping ??= this.pump();
  }

  /** Appends compressed batches in order, several at once when they are ready together. Never rejects. */
  private async pump(): Promise<void> {
    try {
      const ok = await this.ready;
      while (this.inflight.length > 0) {
        await this.inflight[0]!.done;
        let n = 1;
        while (n < this.inflight.length && this.inflight[n]!.member && n < GROUP_MAX) n++;
        const group = this.inflight.splice(0, n);
        if (!ok || this.broken) continue;
        const failed = group.find((b) => !b.member);
        if (failed) this.fail(failed.error);
        else await this.appendGroup(group as ReadyBatch[]);
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.pumping = undefined;
    }
  }

  /** Writes ready members to the part file (creating or rotating it as needed), then reports them. */
  private async appendGroup(group: ReadyBatch[]): Promise<void> {
    for (let i = 0; i < group.length; ) {
      let file = this.file;
      if (file && file.size > 0 && file.size + group[i]!.member.length > this.o.rotateBytes) {
        this.file = undefined;
        this.nextPart = file.part + 1;
        await file.close(false);
        file = undefined;
      }
      // As many members as fit before the next rotation (always at least one).
      let j = i + 1;
      for (let size = (file?.size ?? 0) + group[i]!.member.length; j < group.length && size + group[j]!.member.length <= this.o.rotateBytes; j++) size += group[j]!.member.length;
      const part = group.slice(i, j);
      i = j;
      try {
        // Under a burst, index records go out a few members at a time; when idle, at once.
        if (file) await file.append(part, this.inflight.length === 0);
        else this.file = await createTracePart(this.o.tracesDir, this.sessionId, this.nextPart, part);
      } catch (err) {
        this.report(err);
        if (file) await file.rollback().catch((e: unknown) => this.fail(e));
        continue;
      }
      for (const b of part) {
        this.appended += b.spans;
        this.o.onFlush?.({ spanCount: this.appended });
      }
    }
    if (this.closing) return;
    const wait = META_INTERVAL_MS - (Date.now() - this.lastMetaAt);
    if (wait <= 0) void this.persistMeta();
    // The last flush of a burst must reach the meta too, not wait for the next span.
    else this.metaTimer ??= setTimeout(() => {
      this.metaTimer = undefined;
      if (!this.closing) void this.persistMeta();
    }, wait).unref();
  }

  /** Writes the meta now and again after each change that arrived meanwhile. */
  private persistMeta(): Promise<void> {
    this.metaDirty = true;
    this.metaWrite ??= (async () => {
      if (!(await this.ready)) return;
      while (this.metaDirty && !this.broken) {
        this.metaDirty = false;
        await this.writeMetaNow().catch((err: unknown) => this.report(err));
      }
      this.metaWrite = undefined;
    })();
    return this.metaWrite;
  }

  private async writeMetaNow(): Promise<void> {
    this.lastMetaAt = Date.now();
    await writeMetaFile(metaFilePath(this.o.tracesDir, this.sessionId), this.meta());
  }

  private report(err: unknown): void {
    try {
      this.o.onError(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // an error handler that throws must not take the host down
    }
  }

  /** Reports an error that leaves the writer unable to append: later spans are dropped. */
  private fail(err: unknown): void {
    if (this.broken) return;
    this.broken = true;
    this.report(err);
  }
}
