import { describeError } from '../core/errors.js';
import type { Span } from '../core/span.js';
import type { SpanExporter } from '../core/spanExporter.js';
import { durationMs, nowIso } from '../core/time.js';
import type { EventBus } from '../sessions/eventBus.js';
import { createTraceWriter, type TraceWriter } from '../store/traceWriter.js';
import type { SessionKey } from './otelSpan.js';

/** Options of {@link createSessionWriterPool}. */
export interface SessionWriterPoolOptions {
  tracesDir: string;
  /**
   * A session with no span for this long is closed as `completed` (OpenTelemetry has no "session
   * ended" signal: quiet is the end). A later span reopens and continues it. Default 30 s.
   */
  idleMs?: number;
  /** Most writers open at once; past it the least recently used is closed. Default 256. */
  maxOpen?: number;
  /** Live events (SessionStarted, Heartbeat, SessionFinished) go here when given. */
  bus?: EventBus;
  /** Writer batching interval; default the writer's. */
  flushIntervalMs?: number;
  log?: (line: string) => void;
  /** More places a session's spans go besides its trace file: called once per writer opened. */
  exporters?: (key: SessionKey) => SpanExporter[];
}

/** Trace writers of OpenTelemetry sessions (engine `otlp`), opened on demand and closed when idle. */
export interface SessionWriterPool {
  /**
   * Appends `spans` to the session `key`, opening its writer when needed (after the session's
   * previous writer, if it is being closed, has let go). Resolves false (nothing written) when the
   * session cannot be opened, e.g. another live writer records it.
   */
  write(key: SessionKey, spans: Span[]): Promise<boolean>;
  /** Flushes every open writer. */
  flush(): Promise<void>;
  /** Closes every writer as completed. Idempotent; later writes are refused. */
  close(): Promise<void>;
  /** Number of open writers. */
  readonly size: number;
}

interface Entry {
  writer: TraceWriter;
  timer: NodeJS.Timeout;
}

/** Creates the pool; nothing is opened until the first write. */
export function createSessionWriterPool(options: SessionWriterPoolOptions): SessionWriterPool {
  return new IdleClosingPool(options);
}

class IdleClosingPool implements SessionWriterPool {
  private readonly idleMs: number;
  private readonly maxOpen: number;
  /** In least-recently-used order: the first key is the one to retire when full. */
  private readonly open = new Map<string, Entry>();
  /** Writers being closed, by session: a session reopened meanwhile waits for its lock to be free. */
  private readonly closing = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly options: SessionWriterPoolOptions) {
    this.idleMs = options.idleMs ?? 30_000;
    this.maxOpen = Math.max(1, options.maxOpen ?? 256);
  }

  get size(): number {
    return this.open.size;
  }

  async write(key: SessionKey, spans: Span[]): Promise<boolean> {
    if (this.closed) return false;
    const entry = await this.entryFor(key);
    if (!entry) return false;
    const before = entry.writer.meta().error_count;
    for (const span of spans) entry.writer.write(span);
    const meta = entry.writer.meta();
    this.options.bus?.publish({
      type: 'Heartbeat', session_id: key.sessionId, status: meta.status, requests: spans.length, tool_calls: 0,
      errors: meta.error_count - before, span_count: meta.span_count, error_count: meta.error_count,
    });
    return true;
  }

  async flush(): Promise<void> {
    await Promise.all([...this.open.values()].map((e) => e.writer.flush()));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const id of [...this.open.keys()]) this.retire(id);
    await Promise.all([...this.closing.values()]);
  }

  /** The session's open writer (now the most recently used), or a new one once its previous writer has let go. */
  private async entryFor(key: SessionKey): Promise<Entry | undefined> {
    let entry = this.open.get(key.sessionId);
    const previous = entry ? undefined : this.closing.get(key.sessionId);
    if (previous) {
      await previous;
      if (this.closed) return undefined;
      entry = this.open.get(key.sessionId);
    }
    if (!entry) return this.openWriter(key);
    this.open.delete(key.sessionId);
    this.open.set(key.sessionId, entry);
    entry.timer.refresh();
    return entry;
  }

  private openWriter(key: SessionKey): Entry | undefined {
    const { options } = this;
    if (this.open.size >= this.maxOpen) this.retire(this.open.keys().next().value!);
    let writer: TraceWriter;
    try {
      writer = createTraceWriter({
        tracesDir: options.tracesDir,
        sessionId: key.sessionId,
        title: key.title,
        engine: 'otlp',
        ...(key.serviceName !== undefined ? { tags: { 'service.name': key.serviceName.slice(0, 200) } } : {}),
        ...(options.flushIntervalMs !== undefined ? { flushIntervalMs: options.flushIntervalMs } : {}),
        ...(options.exporters ? { exporters: options.exporters(key) } : {}),
      });
    } catch (err) {
      options.log?.(`mcpscope: otlp: cannot record session ${key.sessionId}: ${describeError(err)}`);
      return undefined;
    }
    const entry = { writer, timer: this.idleTimer(key.sessionId) };
    this.open.set(key.sessionId, entry);
    options.bus?.publish({ type: 'SessionStarted', session_id: key.sessionId, title: key.title, engine: 'otlp' });
    return entry;
  }

  private idleTimer(id: string): NodeJS.Timeout {
    const t = setTimeout(() => this.retire(id), this.idleMs);
    t.unref();
    return t;
  }

  /** Closes the session's writer as completed and announces its end. */
  private retire(id: string): void {
    const entry = this.open.get(id);
    if (!entry) return;
    this.open.delete(id);
    clearTimeout(entry.timer);
    const p = entry.writer.close({ status: 'completed' }).then(() => {
      const meta = entry.writer.meta();
      this.options.bus?.publish({ type: 'SessionFinished', session_id: id, status: meta.status, duration_ms: Math.max(0, durationMs(meta.started_at, meta.ended_at ?? nowIso())) });
    });
    this.closing.set(id, p);
    void p.finally(() => {
      if (this.closing.get(id) === p) this.closing.delete(id);
    });
  }
}
