import { capSpanJson, JSON_ATTRIBUTE_CAP_BYTES } from './jsonAttributes.js';
import type { Span } from './span.js';
import type { SpanBatch, SpanExporter } from './spanExporter.js';

/** Options of SpanBatcher. */
export interface SpanBatcherOptions {
  exporter: SpanExporter;
  /** Longest time an accepted span waits before its batch is exported (what a crash may lose here). */
  flushIntervalMs: number;
  /** Pending serialised size (UTF-16 units, see SpanBatch.chars) that exports the batch at once. */
  flushBytes: number;
  /** Called for each span accepted (capped and serialised); returns whether it counts as an error. */
  accepted(span: Span): boolean;
  /** Cap for `*_json` attributes, the one place spans are capped on their way out. Default 30 KB. */
  jsonCapBytes?: number;
}

/**
 * The batching stage of the recording pipeline, the one owner of "when": spans are capped
 * (capSpanJson) and serialised once as they are added, and handed to the exporter as one batch
 * every `flushIntervalMs` after the first span of a batch, or at once when `flushBytes` are pending,
 * or on `flush`. `add` throws only when a span cannot be serialised (then it is not accepted).
 */
export class SpanBatcher {
  private spans: Span[] = [];
  private lines: string[] = [];
  private chars = 0;
  private errors = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly cap: number;

  constructor(private readonly o: SpanBatcherOptions) {
    this.cap = o.jsonCapBytes ?? JSON_ATTRIBUTE_CAP_BYTES;
  }

  /** Caps, serialises and queues `span`; throws (accepting nothing) when it cannot be serialised. */
  add(span: Span): void {
    if (this.stopped) return;
    capSpanJson(span, this.cap);
    const line = JSON.stringify(span);
    this.spans.push(span);
    this.lines.push(line);
    this.chars += line.length + 1;
    if (this.o.accepted(span)) this.errors++;
    if (this.chars >= this.o.flushBytes) this.flush();
    // A pending timer stays armed: it exports whatever is newer when it fires.
    else this.timer ??= setTimeout(this.onTimer, this.o.flushIntervalMs);
  }

  /** Exports what is pending now (nothing when empty). */
  flush(): void {
    if (this.spans.length === 0) return;
    const batch: SpanBatch = { spans: this.spans, lines: this.lines, errors: this.errors, chars: this.chars };
    this.spans = [];
    this.lines = [];
    this.chars = 0;
    this.errors = 0;
    this.o.exporter.export(batch);
  }

  /** Exports what is pending and stops: later spans are dropped. The exporter is not shut down. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
    this.stopped = true;
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.flush();
  };
}
