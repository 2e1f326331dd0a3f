import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createRedactor, type RedactionOptions } from '../instrumentation/redaction.js';
import { groupSpans } from './groupSpans.js';
import { fromReadableSpan } from './readableSpan.js';
import { createSessionWriterPool, type SessionWriterPool } from './sessionWriterPool.js';

/** Options of {@link createMcpscopeSpanExporter}. */
export interface McpscopeSpanExporterOptions {
  /** Where trace files go (e.g. `resolveConfig({}, process.env).tracesDir`). */
  tracesDir: string;
  /** A session with no span for this long is closed as completed; later spans continue it. Default 30 s. */
  idleMs?: number;
  /** Most sessions recorded at once. Default 256. */
  maxOpen?: number;
  /** Secret redaction, as for recorded traffic (default on). */
  redaction?: RedactionOptions;
  /** Writer batching interval. Default the trace writer's (50 ms). */
  flushIntervalMs?: number;
  /** Receives problems (a session held by another process). Default: stderr. */
  log?: (line: string) => void;
}

// ExportResultCode of @opentelemetry/core, by value: this module must not load it at runtime.
const SUCCESS = 0;
const FAILED = 1;

/**
 * An OpenTelemetry SDK SpanExporter that writes spans into mcpscope trace files: add it to a
 * tracer provider (with a SimpleSpanProcessor or BatchSpanProcessor). Spans are converted,
 * redacted, truncated and grouped into sessions (engine `otlp`) exactly as the gateway's OTLP
 * ingest does, so the same app produces the same session either way. `export` reports FAILED
 * for a batch whose session another process is recording, and after shutdown.
 */
export class McpscopeSpanExporter implements SpanExporter {
  private readonly pool: SessionWriterPool;
  private readonly redactor;
  private stopped = false;
  /** Exports whose spans are still on their way to a writer. */
  private readonly pending = new Set<Promise<void>>();

  constructor(options: McpscopeSpanExporterOptions) {
    this.redactor = createRedactor(options.redaction);
    const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
    this.pool = createSessionWriterPool({
      tracesDir: options.tracesDir,
      log,
      ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
      ...(options.maxOpen !== undefined ? { maxOpen: options.maxOpen } : {}),
      ...(options.flushIntervalMs !== undefined ? { flushIntervalMs: options.flushIntervalMs } : {}),
    });
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) {
      resultCallback({ code: FAILED, error: new Error('McpscopeSpanExporter is shut down') });
      return;
    }
    let grouped: ReturnType<typeof groupSpans>;
    try {
      grouped = groupSpans(spans.map(fromReadableSpan), this.redactor);
    } catch (err) {
      resultCallback({ code: FAILED, error: err instanceof Error ? err : new Error(String(err)) });
      return;
    }
    const done = Promise.all(grouped.sessions.map(({ key, spans: lines }) => this.pool.write(key, lines))).then((written) => {
      const ok = grouped.rejected === 0 && written.every(Boolean);
      resultCallback(ok ? { code: SUCCESS } : { code: FAILED, error: new Error(grouped.firstProblem || 'some sessions could not be recorded') });
    });
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  /** Resolves when every span exported so far is in its trace file. */
  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending]);
    await this.pool.flush();
  }

  /** Closes every session as completed. Idempotent. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.pending]);
    await this.pool.close();
  }
}

/** Same as `new McpscopeSpanExporter(options)`. */
export function createMcpscopeSpanExporter(options: McpscopeSpanExporterOptions): McpscopeSpanExporter {
  return new McpscopeSpanExporter(options);
}
