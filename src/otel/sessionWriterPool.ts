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
  const idleMs = options.idleMs ?? 30_000;
  const maxOpen = Math.max(1, options.maxOpen ?? 256);
  const open = new Map<string, Entry>();
  /** Writers being closed, by session: a session reopened meanwhile waits for its lock to be free. */
  const closing = new Map<string, Promise<void>>();
  let closed = false;

  const retire = (id: string) => {
    const entry = open.get(id);
    if (!entry) return;
    open.delete(id);
    clearTimeout(entry.timer);
    const p = entry.writer.close({ status: 'completed' }).then(() => {
      const meta = entry.writer.meta();
      options.bus?.publish({ type: 'SessionFinished', session_id: id, status: meta.status, duration_ms: Math.max(0, durationMs(meta.started_at, meta.ended_at ?? nowIso())) });
    });
    closing.set(id, p);
    void p.finally(() => {
      if (closing.get(id) === p) closing.delete(id);
    });
  };
  const idleTimer = (id: string) => {
    const t = setTimeout(() => retire(id), idleMs);
    t.unref();
    return t;
  };

  const openWriter = (key: SessionKey): Entry | undefined => {
    if (open.size >= maxOpen) retire(open.keys().next().value!);
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
    const entry = { writer, timer: idleTimer(key.sessionId) };
    open.set(key.sessionId, entry);
    options.bus?.publish({ type: 'SessionStarted', session_id: key.sessionId, title: key.title, engine: 'otlp' });
    return entry;
  };

  return {
    get size() {
      return open.size;
    },
    async write(key, spans) {
      if (closed) return false;
      let entry = open.get(key.sessionId);
      const previous = entry ? undefined : closing.get(key.sessionId);
      if (previous) {
        await previous;
        if (closed) return false;
        entry = open.get(key.sessionId);
      }
      if (entry) {
        // Most recently used goes last, so the first key is the one to retire when full.
        open.delete(key.sessionId);
        open.set(key.sessionId, entry);
        entry.timer.refresh();
      } else {
        entry = openWriter(key);
        if (!entry) return false;
      }
      const before = entry.writer.meta().error_count;
      for (const span of spans) entry.writer.write(span);
      const meta = entry.writer.meta();
      options.bus?.publish({
        type: 'Heartbeat', session_id: key.sessionId, status: meta.status, requests: spans.length, tool_calls: 0,
        errors: meta.error_count - before, span_count: meta.span_count, error_count: meta.error_count,
      });
      return true;
    },
    async flush() {
      await Promise.all([...open.values()].map((e) => e.writer.flush()));
    },
    async close() {
      closed = true;
      for (const id of [...open.keys()]) retire(id);
      await Promise.all([...closing.values()]);
    },
  };
}
