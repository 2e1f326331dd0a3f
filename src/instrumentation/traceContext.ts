import { AsyncLocalStorage } from 'node:async_hooks';
import { isSpanId, isTraceId, newSpanId } from '../core/ids.js';

/** The identity of a span as W3C Trace Context carries it between processes. */
export interface SpanContext {
  traceId: string;
  spanId: string;
  /** W3C trace flags; 1 (sampled) when not known. */
  traceFlags?: number;
  /** The opaque W3C `tracestate` header value, passed on unchanged. */
  traceState?: string;
}

/**
 * A span context whose span id is drawn on first read. A random id costs about 2 µs, so the
 * recorder's hot path leaves it to whoever needs it first (a child, the hook, the span writer).
 */
export class LazySpanContext implements SpanContext {
  #spanId: string | undefined;
  readonly traceId: string;
  readonly traceFlags: number;
  readonly traceState?: string;

  constructor(traceId: string, traceFlags: number, traceState?: string, spanId?: string) {
    this.traceId = traceId;
    this.traceFlags = traceFlags;
    if (traceState !== undefined) this.traceState = traceState;
    this.#spanId = spanId;
  }

  get spanId(): string {
    return (this.#spanId ??= newSpanId());
  }

  toJSON(): SpanContext {
    return this.traceState === undefined
      ? { traceId: this.traceId, spanId: this.spanId, traceFlags: this.traceFlags }
      : { traceId: this.traceId, spanId: this.spanId, traceFlags: this.traceFlags, traceState: this.traceState };
  }
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const MAX_TRACESTATE_CHARS = 512;

/**
 * Parses a W3C `traceparent` value (`00-<trace id>-<span id>-<flags>`); returns undefined
 * for anything malformed (wrong shape, all-zero ids, version `ff`). Future versions are
 * accepted as long as their first four fields have the version-00 shape, as the spec asks.
 */
export function parseTraceparent(value: unknown, traceState?: unknown): SpanContext | undefined {
  if (typeof value !== 'string' || value.length > 256) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags] = m;
  if (version === 'ff' || (version === '00' && value.trim().length !== 55)) return undefined;
  if (!isTraceId(traceId) || !isSpanId(spanId)) return undefined;
  const ctx: SpanContext = { traceId, spanId, traceFlags: Number.parseInt(flags!, 16) };
  if (typeof traceState === 'string' && traceState.length > 0 && traceState.length <= MAX_TRACESTATE_CHARS) {
    ctx.traceState = traceState;
  }
  return ctx;
}

/** Formats a span context as a version-00 `traceparent` value. */
export function formatTraceparent(ctx: SpanContext): string {
  const flags = ((ctx.traceFlags ?? 1) & 0xff).toString(16).padStart(2, '0');
  return `00-${ctx.traceId}-${ctx.spanId}-${flags}`;
}

/** One store for the whole process, so every instrumented transport sees the same active span. */
const storage = new AsyncLocalStorage<SpanContext>();

/** The span context of the request being handled on this async path, if any. */
export function currentSpanContext(): SpanContext | undefined {
  return storage.getStore();
}

/**
 * Runs `fn` with `ctx` as the active span context; work started inside (awaits, timers,
 * outbound MCP requests) sees it through `currentSpanContext()`.
 */
export function runWithSpanContext<T>(ctx: SpanContext, fn: () => T): T {
  return storage.run(ctx, fn);
}
