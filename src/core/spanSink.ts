import type { Span } from './span.js';

/**
 * Where finished spans go. The trace writer is one; an in-memory sink is the test double.
 * `write` must not block on I/O and must never throw into the traffic being observed.
 */
export interface SpanSink {
  write(span: Span): void;
  /** Resolves when everything written so far is durable (or has failed and been reported). */
  flush(): Promise<void>;
  /** Flushes and releases resources. Idempotent. */
  close(): Promise<void>;
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
