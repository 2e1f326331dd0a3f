import type { Span } from './span.js';

/**
 * Where finished spans go. The trace writer is one; an in-memory sink is the test double.
 * `write` must not block on I/O and must never throw into the traffic being observed.
 */
export interface SpanSink {
  write(span: Span): void;
  /**
   * Set when the sink caps `*_json` attributes itself, at this many bytes (the trace writer does,
   * at the trace contract's 30 KB): a recorder whose own cap is not lower leaves capping to it,
   * so each span is capped once on its way to disk.
   */
  readonly jsonCapBytes?: number;
  /** Resolves when everything written so far is durable (or has failed and been reported). */
  flush(): Promise<void>;
  /** Flushes and releases resources. Idempotent. */
  close(): Promise<void>;
  /**
   * Optional crash evidence: the sink keeps, somewhere that survives the process, the spans
   * `source` would need written if the process died now, so a reader can add them to the trace
   * later. Called by a recorder once; the handle's `changed` says a request began (cheap, may be
   * called per request) and `stop` ends the tracking. Sinks without durable storage omit it.
   */
  trackOpenRequests?(source: OpenRequestSource): OpenRequestTracking;
}

/** What a recorder tells a sink about its open requests (see SpanSink.trackOpenRequests). */
export interface OpenRequestSource {
  /** How many requests are open now. */
  openCount(): number;
  /**
   * The spans of requests open since `startedBefore` (µs since the epoch) or earlier, as they
   * would be written had the process died: status ERROR, `error.type: "abandoned"`, the request
   * JSON (redacted), the real start time; the end time is set by whoever writes them.
   */
  abandonedSpans(startedBefore: number): Span[];
}

/** The handle of SpanSink.trackOpenRequests. */
export interface OpenRequestTracking {
  /** A request began: the sink starts watching if it was idle. */
  changed(): void;
  /** Stops tracking (e.g. on close: the recorder ends its open requests itself). Idempotent. */
  stop(): void;
}

/** A SpanSink that keeps spans in memory: the standard test double. */
export class InMemorySpanSink implements SpanSink {
  readonly spans: Span[] = [];
  closed = false;

  write(span: Span): void {
    this.spans.push(span);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }
}
