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
    try {
      const grouped = groupSpans(spans.map(fromReadableSpan), this.redactor);
      let ok = grouped.rejected === 0;
      for (const { key, spans: lines } of grouped.sessions) ok = this.pool.write(key, lines) && ok;
      resultCallback(ok ? { code: SUCCESS } : { code: FAILED, error: new Error(grouped.firstProblem || 'some sessions could not be recorded') });
    } catch (err) {
      resultCallback({ code: FAILED, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  /** Resolves when every span exported so far is in its trace file. */
  forceFlush(): Promise<void> {
    return this.pool.flush();
  }

  /** Closes every session as completed. Idempotent. */
  shutdown(): Promise<void> {
    this.stopped = true;
    return this.pool.close();
  }
}

/** Same as `new McpscopeSpanExporter(options)`. */
export function createMcpscopeSpanExporter(options: McpscopeSpanExporterOptions): McpscopeSpanExporter {
  return new McpscopeSpanExporter(options);
}
