import { isInspectorError } from '../core/errors.js';
import { assertSessionId } from '../core/ids.js';
import { JSON_ATTRIBUTE_CAP_BYTES } from '../core/jsonAttributes.js';
import { isErrorKind, OutcomeTally, sessionOutcome } from '../core/outcome.js';
import { FINAL_STATUSES, type SessionMeta, type SessionStatus } from '../core/session.js';
import type { Span } from '../core/span.js';
import { SpanBatcher } from '../core/spanBatcher.js';
import { teeExporter, type SpanExporter } from '../core/spanExporter.js';
import type { OpenRequestSource, OpenRequestTracking, SpanSink } from '../core/spanSink.js';
import { durationMs, nowIso } from '../core/time.js';
import { reportTo } from '../core/reportTo.js';
import { createInflightSidecar, type InflightSidecar } from './inflightSidecar.js';
import { createGzipFileExporter } from './gzipFileExporter.js';
import { readMetaFile, writeMetaFile } from './metaFile.js';
import { ensureTracesDir, metaFilePath } from './paths.js';
import { countTraceParts } from './memberCounts.js';
import { acquireSessionLock, type SessionLock } from './sessionLock.js';
import { findTraceParts } from './traceParts.js';
import { readTrace } from './traceReader.js';
import { settleAbandonedRequests } from './settleAbandoned.js';
import { resolveWriterOptions, type ResolvedWriterOptions, type TraceWriterOptions } from './traceWriterOptions.js';

export type { TraceWriterOptions } from './traceWriterOptions.js';
export { DEFAULT_FLUSH_BYTES, DEFAULT_GZIP_LEVEL, DEFAULT_ROTATE_BYTES } from './traceWriterOptions.js';


/** Least time between two meta updates driven by flushes (status changes and close write at once). */
const META_INTERVAL_MS = 1000;

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
 * Starts recording a session to `<tracesDir>/<sessionId>.jsonl.gz`: the sink of the recording
 * pipeline (docs/architecture.md). Synchronous: the directory (mode 0700), the meta record and
 * the file are set up asynchronously, and spans written meanwhile wait in memory. `write` caps
 * and serialises the span once (SpanBatcher); batches (every `flushIntervalMs` or `flushBytes`)
 * go to the exporters: the gzip file exporter first (createGzipFileExporter: one gzip member per
 * batch, compressed on its private worker thread, appended in order), so a crash loses at most
 * the unflushed batch, then `exporters` if given. An existing trace of the same session is
 * continued after its torn tail (if any) is cut off, its counts taken from the files (not from a
 * meta a crashed writer left behind). No part file exists until its first member is written, so
 * a session that records nothing leaves no unreadable file.
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
  readonly jsonCapBytes = JSON_ATTRIBUTE_CAP_BYTES;
  private readonly state: SessionMeta;
  /** "When": caps, serialises and batches spans for the exporters. */
  private readonly batcher: SpanBatcher;
  /** "Where": the trace file, then any exporters given in the options. */
  private readonly exporter: SpanExporter;
  private readonly lock: SessionLock;
  /** Resolves to the index of the last existing part once set up, or undefined when setup failed. */
  private readonly ready: Promise<number | undefined>;
  private broken = false;
  private closing: Promise<void> | undefined;
  private appended = 0;
  /** Spans an earlier writer of this session failed to export (its meta's `otlp_dropped`). */
  private droppedBefore = 0;
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
      (lastPart) => lastPart,
      (err: unknown) => {
        this.fail(err);
        return undefined;
      },
    );
    const file = createGzipFileExporter({
      tracesDir: o.tracesDir,
      sessionId: o.sessionId,
      rotateBytes: o.rotateBytes,
      gzipLevel: o.gzipLevel,
      flushBytes: o.flushBytes,
      ready: this.ready,
      appended: (counts) => this.onAppended(counts),
      report: (err) => this.report(err),
      fail: (err) => this.fail(err),
    });
    this.exporter = teeExporter([file, ...(o.exporters ?? [])], (err) => this.report(err));
    this.batcher = new SpanBatcher({
      exporter: this.exporter,
      flushIntervalMs: o.flushIntervalMs,
      flushBytes: o.flushBytes,
      jsonCapBytes: this.jsonCapBytes,
      accepted: (span) => {
        this.state.span_count++;
        const error = isErrorKind(this.tally.add(span).kind);
        if (error) this.state.error_count++;
        return error;
      },
    });
    const sidecarReady = this.ready.then((part) => part !== undefined);
    this.openRequests = createInflightSidecar({ tracesDir: o.tracesDir, sessionId: o.sessionId, intervalMs: o.flushIntervalMs, ready: sidecarReady, onError: (err) => this.report(err) });
  }

  /** Keeps `source`'s long-open requests in `<id>.inflight.json` until close (see createInflightSidecar). */
  trackOpenRequests(source: OpenRequestSource): OpenRequestTracking {
    return this.openRequests.track(source);
  }

  write(span: Span): void {
    if (this.closing) return;
    try {
      this.batcher.add(span);
    } catch (err) {
      this.report(err);
    }
  }

  async flush(): Promise<void> {
    this.batcher.flush();
    await this.exporter.forceFlush();
  }

  meta(): SessionMeta {
    let dropped = this.droppedBefore;
    for (const e of this.o.exporters ?? []) dropped += e.dropped?.() ?? 0;
    return { ...this.state, ...(this.state.tags ? { tags: { ...this.state.tags } } : {}), ...(dropped > 0 ? { otlp_dropped: dropped } : {}) };
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
    if (this.metaTimer) clearTimeout(this.metaTimer);
    this.batcher.stop();
    await this.exporter.forceFlush();
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
    await this.exporter.shutdown();
    await this.persistMeta();
    this.lock.release();
  }

  /** Directory, meta (merged with a previous writer's); resolves to the last part's index (-1: none). */
  private async open(): Promise<number> {
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
    if (previous) {
      this.state.started_at = previous.started_at;
      this.droppedBefore = previous.otlp_dropped ?? 0;
      if (previous.tags) this.state.tags = { ...previous.tags, ...this.state.tags };
    } else if (parts.gz.length > 0) {
      const { spans } = await readTrace(tracesDir, sessionId);
      // Counted above from the files; the tally only learns the earlier errors' reasons.
      for (const sp of spans) this.tally.add(sp);
      if (spans[0]) this.state.started_at = spans.reduce((min, sp) => (sp.start_time < min ? sp.start_time : min), spans[0].start_time);
    }
    await this.writeMetaNow();
    return parts.gz.length - 1;
  }

  /** The file exporter appended members: report them, and bring the meta up to date soon. */
  private onAppended(counts: number[]): void {
    for (const n of counts) {
      this.appended += n;
      this.o.onFlush?.({ spanCount: this.appended });
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
      if ((await this.ready) === undefined) return;
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

  /** Hands errors to onError as Error objects; a handler that throws must not take the host down. */
  private readonly report = reportTo((err) => this.o.onError(err instanceof Error ? err : new Error(String(err))));

  /** Reports an error that leaves the writer unable to append: later spans are dropped. */
  private fail(err: unknown): void {
    if (this.broken) return;
    this.broken = true;
    this.report(err);
  }
}
