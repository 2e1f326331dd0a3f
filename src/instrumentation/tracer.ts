import { newSpanId, newTraceId } from '../core/ids.js';
import { Attr, type Attributes, type AttributeValue, type Span, type SpanEvent, type SpanKind } from '../core/span.js';
import type { SpanSink } from '../core/spanSink.js';
import { formatMicros, nowMicros } from '../core/time.js';
import { currentSpanContext, runWithSpanContext, type SpanContext } from './traceContext.js';

/** Options of Tracer.startSpan. */
export interface StartSpanOptions {
  attributes?: Record<string, unknown>;
  /** Default INTERNAL. */
  kind?: SpanKind;
  /** The parent: default the active span (see withSpan), else none (a root of the session's trace). `null`: a root even inside a span. */
  parent?: TracerSpan | SpanContext | null;
}

/** A span being recorded: attributes and events until `end`, then written once. */
export interface TracerSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly name: string;
  /** True once ended: later calls change nothing. */
  readonly ended: boolean;
  /** Sets one attribute; a value that is not a string, number, boolean or array of one of these is stored as JSON text; `undefined` removes it. */
  setAttribute(key: string, value: unknown): TracerSpan;
  setAttributes(attributes: Record<string, unknown>): TracerSpan;
  addEvent(name: string, attributes?: Record<string, unknown>): TracerSpan;
  /** Ends the span (status OK, or ERROR with `error`'s message) and writes it. Idempotent. */
  end(outcome?: { error?: unknown }): void;
}

/**
 * An engine-neutral tracer writing spans of our trace format to a SpanSink (a session's trace
 * writer). Children nest through the same AsyncLocalStorage context the MCP instrumentation
 * uses, so an instrumented MCP call made inside `withSpan` becomes a child of that span.
 */
export interface Tracer {
  startSpan(name: string, options?: StartSpanOptions): TracerSpan;
  /** Runs `fn` with `span` active: spans started inside (across awaits) are its children. */
  withSpan<T>(span: TracerSpan, fn: () => T): T;
  /** Starts a span, runs `fn(span)` with it active, and ends it when `fn` settles (ERROR with the thrown error's message). */
  startActiveSpan<T>(name: string, fn: (span: TracerSpan) => T | Promise<T>, options?: StartSpanOptions): Promise<T>;
  /** The span made active by withSpan on this async path, if it is one of this tracer's. */
  activeSpan(): TracerSpan | undefined;
  /** Spans ended so far. */
  readonly spansEnded: number;
}

/** Options of {@link createTracer}. */
export interface TracerOptions {
  sink: Pick<SpanSink, 'write'>;
  /** Written as `session.id` on every span. */
  sessionId: string;
  /** Trace id of root spans; default one fresh id per tracer (one run, one trace). */
  traceId?: string;
}

const MAX_EVENTS = 128;

/** Creates a tracer writing to `options.sink`. */
export function createTracer(options: TracerOptions): Tracer {
  return new SinkTracer(options);
}

/** The tracer: knows its spans by context so activeSpan can tell its own from others'. */
class SinkTracer implements Tracer {
  private readonly traceId: string;
  private readonly ours = new WeakMap<SpanContext, TracerSpan>();
  private readonly contexts = new WeakMap<TracerSpan, SpanContext>();
  private ended = 0;

  constructor(private readonly options: TracerOptions) {
    this.traceId = options.traceId ?? newTraceId();
  }

  get spansEnded(): number {
    return this.ended;
  }

  readonly startSpan = (name: string, opts: StartSpanOptions = {}): TracerSpan => {
    const parent = opts.parent === null ? undefined : opts.parent ?? currentSpanContext();
    const context: SpanContext = { traceId: parent?.traceId ?? this.traceId, spanId: newSpanId() };
    const span = new RecordingSpan(name, context, parent?.spanId, opts.kind ?? 'INTERNAL', this.options.sessionId, (record) => {
      this.ended += 1;
      this.options.sink.write(record);
    });
    if (opts.attributes) span.setAttributes(opts.attributes);
    this.ours.set(context, span);
    this.contexts.set(span, context);
    return span;
  };

  readonly withSpan = <T>(span: TracerSpan, fn: () => T): T => {
    const context = this.contexts.get(span) ?? { traceId: span.traceId, spanId: span.spanId };
    return runWithSpanContext(context, fn);
  };

  readonly startActiveSpan = async <T>(name: string, fn: (span: TracerSpan) => T | Promise<T>, opts?: StartSpanOptions): Promise<T> => {
    const span = this.startSpan(name, opts);
    try {
      const result = await this.withSpan(span, () => fn(span));
      span.end();
      return result;
    } catch (err) {
      span.end({ error: err });
      throw err;
    }
  };

  readonly activeSpan = (): TracerSpan | undefined => {
    const ctx = currentSpanContext();
    return ctx ? this.ours.get(ctx) : undefined;
  };
}

/** One span: collects attributes and events until `end`, then hands its record to `write` once. */
class RecordingSpan implements TracerSpan {
  readonly traceId: string;
  readonly spanId: string;
  private readonly start = nowMicros();
  private readonly attributes: Attributes;
  private readonly events: SpanEvent[] = [];
  private done = false;

  constructor(
    readonly name: string,
    context: SpanContext,
    private readonly parentSpanId: string | undefined,
    private readonly kind: SpanKind,
    sessionId: string,
    private readonly write: (record: Span) => void,
  ) {
    this.traceId = context.traceId;
    this.spanId = context.spanId;
    this.attributes = { [Attr.SESSION_ID]: sessionId };
  }

  get ended(): boolean {
    return this.done;
  }

  readonly setAttribute = (key: string, value: unknown): TracerSpan => {
    if (this.done) return this;
    if (value === undefined) delete this.attributes[key];
    else this.attributes[key] = toAttributeValue(value);
    return this;
  };

  readonly setAttributes = (values: Record<string, unknown>): TracerSpan => {
    for (const [k, v] of Object.entries(values)) this.setAttribute(k, v);
    return this;
  };

  readonly addEvent = (eventName: string, values?: Record<string, unknown>): TracerSpan => {
    if (this.done || this.events.length >= MAX_EVENTS) return this;
    this.events.push({ name: eventName, time: formatMicros(nowMicros()), ...(values ? { attributes: toAttributes(values) } : {}) });
    return this;
  };

  readonly end = (outcome: { error?: unknown } = {}): void => {
    if (this.done) return;
    this.done = true;
    const failed = outcome.error !== undefined && outcome.error !== null && outcome.error !== false;
    if (failed) this.attributes[Attr.ERROR_TYPE] ??= outcome.error instanceof Error ? outcome.error.name : 'error';
    this.write({
      trace_id: this.traceId,
      span_id: this.spanId,
      ...(this.parentSpanId ? { parent_span_id: this.parentSpanId } : {}),
      name: this.name,
      kind: this.kind,
      start_time: formatMicros(this.start),
      end_time: formatMicros(Math.max(this.start, nowMicros())),
      status: failed ? { status_code: 'ERROR', description: errorMessage(outcome.error) } : { status_code: 'OK' },
      attributes: this.attributes,
      ...(this.events.length > 0 ? { events: this.events } : {}),
    });
  };
}

function toAttributeValue(value: unknown): AttributeValue {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value) && value.length > 0) {
    const t = typeof value[0];
    if ((t === 'string' || t === 'number' || t === 'boolean') && value.every((v) => typeof v === t && (t !== 'number' || Number.isFinite(v)))) return value as AttributeValue;
  }
  if (Array.isArray(value) && value.length === 0) return [] as string[];
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function toAttributes(values: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) out[k] = toAttributeValue(v);
  return out;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  return toAttributeValue(error).toString();
}
