import type { Span } from './span.js';

/**
 * A batch of finished spans on its way out of a sink. The sink serialises each span once; an
 * exporter that writes JSON lines uses `lines`, one that speaks another format (OTLP) uses `spans`.
 * A batch is shared by every exporter of a tee: exporters must not mutate it.
 */
export interface SpanBatch {
  readonly spans: readonly Span[];
  /** `JSON.stringify(spans[i])`, without the newline. */
  readonly lines: readonly string[];
  /** How many of the spans count as errors (the outcome rules, core/outcome.ts). */
  readonly errors: number;
  /** The lines' lengths in UTF-16 units plus one newline each: a lower bound of their UTF-8 size. */
  readonly chars: number;
}

/**
 * Where batches go ("where"; the sink that batches decides "when"), in the spirit of
 * OpenTelemetry's SpanExporter. `export` must not block on I/O and never throws: an exporter
 * queues the batch and reports its own failures. Batches are exported in the order given.
 */
export interface SpanExporter {
  export(batch: SpanBatch): void;
  /** Resolves once every batch exported so far is delivered (or has failed and been reported). */
  forceFlush(): Promise<void>;
  /** Flushes and releases resources; batches exported later are dropped. Idempotent. */
  shutdown(): Promise<void>;
  /**
   * Spans given up on so far, for an exporter that may drop some (OTLP export to a slow or dead
   * collector): the trace writer records the sum in the session's meta as `otlp_dropped`.
   */
  dropped?(): number;
}

/**
 * One exporter that hands every batch to each of `exporters`, in order. An exporter that throws
 * is reported to `onError` and does not stop the others; flush and shutdown wait for all of them.
 */
export function teeExporter(exporters: readonly SpanExporter[], onError: (err: unknown) => void): SpanExporter {
  if (exporters.length === 1) return exporters[0]!;
  const each = async (call: (e: SpanExporter) => Promise<void>): Promise<void> => {
    const results = await Promise.allSettled(exporters.map((e) => call(e)));
    for (const r of results) if (r.status === 'rejected') onError(r.reason);
  };
  return {
    export(batch) {
      for (const e of exporters) {
        try {
          e.export(batch);
        } catch (err) {
          onError(err);
        }
      }
    },
    forceFlush: () => each((e) => e.forceFlush()),
    shutdown: () => each((e) => e.shutdown()),
  };
}
