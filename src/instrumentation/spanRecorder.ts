import { reportTo } from '../core/reportTo.js';
import { isRealError } from '../core/outcome.js';
import { Attr, type Attributes, type Span } from '../core/span.js';
import type { SpanSink } from '../core/spanSink.js';
import { nowMicros } from '../core/time.js';
import { hookChannels, type RpcDirection } from './hooks.js';
import { formatSpanTime } from './formatSpanTime.js';
import { OpenRequestTable, type OpenRequest } from './openRequests.js';
import type { SpanFactory } from './requestSpan.js';
import { failureOutcome, type Outcome } from './spanBuilder.js';
import type { SpanContext } from './traceContext.js';

/** `error.type` of a request that was in flight when the recording process died. */
export const ABANDONED_ERROR_TYPE = 'abandoned';
const ABANDONED_DESCRIPTION = 'abandoned: the recording process died with this request in flight (end time: when it was last known alive)';

/** Most events kept on one span; later ones are counted in `mcp.events.dropped`. */
export const MAX_EVENTS_PER_SPAN = 1_000;

export interface SpanRecorderOptions {
  sink: SpanSink;
  sessionId: string;
  transport: string;
  traceId: string;
  spans: SpanFactory;
  onError?: ((err: unknown) => void) | undefined;
  /** Default true: deferred work runs on the next turn of the event loop; false: only at flush(). */
  autoFlush?: boolean;
  /** Called when a request begins (the sink's open-request tracking wakes up on it). */
  onBegin?: (() => void) | undefined;
}

/**
 * The output side of a recorder: the open requests, the deferred-work queue, spans to the sink
 * with counts and hooks, and the crash evidence of requests still open.
 */
export class SpanRecorder {
  readonly open = new OpenRequestTable();
  closed = false;
  private readonly counts = { requests: 0, toolCalls: 0, errors: 0, spans: 0 };
  private readonly queue: Array<() => void> = [];
  private scheduled = false;
  private flushing = false;
  private readonly autoFlush: boolean;
  private readonly report: (err: unknown) => void;

  constructor(private readonly o: SpanRecorderOptions) {
    this.autoFlush = o.autoFlush ?? true;
    this.report = reportTo(o.onError);
  }

  /** Registers a request; a displaced one (same id still open, or the oldest past the cap) ends as ERROR first. */
  begin(req: OpenRequest): void {
    const displaced = this.open.add(req);
    if (displaced) this.finish(displaced.req, failureOutcome(displaced.errorType, displaced.message));
    this.o.onBegin?.();
    this.counts.requests++;
    if (req.method === 'tools/call') this.counts.toolCalls++;
  }

  addEvent(req: OpenRequest, name: string, attributes: Attributes): void {
    const events = (req.events ??= []);
    if (events.length >= MAX_EVENTS_PER_SPAN) {
      req.droppedEvents++;
      return;
    }
    events.push({ name, time: formatSpanTime(nowMicros()), attributes });
  }

  /** Writes the span of a request already taken from `open`; `end` defaults to now. */
  finish(req: OpenRequest, outcome: Outcome, end: number = nowMicros(), responseJson?: string): void {
    const span = this.o.spans.request(req, outcome, end, responseJson);
    this.write(span);
    const isError = outcome.code === 'ERROR';
    if (hookChannels.afterRpcResponse.hasSubscribers) {
      hookChannels.afterRpcResponse.publish({ sessionId: this.o.sessionId, direction: req.dir, method: req.method, id: req.id, span, durationMs: (end - req.start) / 1000, isError });
    }
    if (isError && hookChannels.errorRpcRequest.hasSubscribers) {
      const errorType = String(span.attributes[Attr.ERROR_TYPE] ?? 'error');
      hookChannels.errorRpcRequest.publish({ sessionId: this.o.sessionId, direction: req.dir, method: req.method, id: req.id, span, errorType, errorMessage: span.status.description ?? '' });
    }
  }

  /** Writes a zero-length span at `time` not tied to a request (notification, stray error, invalid line). */
  loose(dir: RpcDirection, name: string, outcome: Outcome, attributes: Attributes, time: number, parent?: SpanContext): void {
    this.write(this.o.spans.loose(dir, name, outcome, attributes, time, parent));
  }

  /** Queues work for the next turn of the event loop (or the next flush() without autoFlush), off the traffic's hot path. */
  defer(task: () => void): void {
    this.queue.push(task);
    if (!this.scheduled && this.autoFlush) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /**
   * Runs queued work now. Tasks may queue more (a hook subscriber recording, say): all run, in order.
   * Called from inside a task (a hook subscriber flushing), it returns at once: the running flush
   * goes on through the queue, where starting over would run the same tasks again, without end.
   */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.flushing) return;
    this.flushing = true;
    const queue = this.queue;
    try {
      for (let i = 0; i < queue.length; i++) {
        try {
          queue[i]!();
        } catch (err) {
          this.report(err);
        }
      }
    } finally {
      queue.length = 0;
      this.flushing = false;
    }
  };

  started(): void {
    if (hookChannels.sessionStarted.hasSubscribers) {
      hookChannels.sessionStarted.publish({ sessionId: this.o.sessionId, transport: this.o.transport, traceId: this.o.traceId });
    }
  }

  /** Ends every open request as ERROR `connection_closed` (`reason`); idempotent. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    try {
      for (const req of this.open.drain()) this.finish(req, failureOutcome('connection_closed', reason));
    } catch (err) {
      this.report(err);
    }
    this.flush();
    if (hookChannels.sessionFinished.hasSubscribers) {
      hookChannels.sessionFinished.publish({ sessionId: this.o.sessionId, reason, stats: { ...this.counts } });
    }
  }

  stats(): { requests: number; toolCalls: number; errors: number; spans: number } {
    this.flush();
    return { ...this.counts };
  }

  /**
   * Spans for the requests open since `startedBefore` (µs) or earlier, as they would be written
   * had the process died now: ERROR `abandoned`, request JSON, real start; end = start (the
   * writer of the evidence sets it). Never written here.
   */
  abandonedSpans(startedBefore: number): Span[] {
    const out: Span[] = [];
    for (const dir of ['inbound', 'outbound'] as const) {
      // Requests are kept in begin order, so the scan stops at the first too young.
      for (const req of this.open.inBeginOrder(dir)) {
        if (req.start > startedBefore) break;
        try {
          out.push(this.abandonedSpan(req));
        } catch (err) {
          this.report(err);
        }
      }
    }
    return out;
  }

  /** Built once per request (again when events were added since): the sidecar asks every interval. */
  private abandonedSpan(req: OpenRequest): Span {
    const events = req.events?.length ?? 0;
    if (req.abandoned && req.abandoned.events === events) return req.abandoned.span;
    const span = this.o.spans.request(req, failureOutcome(ABANDONED_ERROR_TYPE, ABANDONED_DESCRIPTION), req.start, undefined, req.events ? [...req.events] : undefined);
    req.abandoned = { span, events };
    return span;
  }

  private write(span: Span): void {
    this.counts.spans++;
    // Real errors only: a probe answered "method not found" is recorded but is not an error.
    if (span.status.status_code === 'ERROR' && isRealError(span)) this.counts.errors++;
    try {
      this.o.sink.write(span);
    } catch (err) {
      this.report(err);
    }
    if (hookChannels.spanEnd.hasSubscribers) hookChannels.spanEnd.publish({ sessionId: this.o.sessionId, span });
  }

}
