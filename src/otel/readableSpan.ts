import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Attributes } from '../core/span.js';
import { flatten } from './decodeOtlp.js';
import type { OtelSpanData } from './otelSpan.js';

type HrTime = [number, number];

const hrNanos = (t: HrTime): bigint => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

function attributesOf(attrs: Record<string, unknown> | undefined): Attributes {
  const out: Attributes = {};
  if (!attrs) return out;
  for (const key in attrs) {
    const v = attrs[key];
    // The SDK allows undefined/null array members and values; OTLP encoders drop undefined ones.
    if (v === undefined) continue;
    out[key] = flatten(v);
  }
  return out;
}

/**
 * An SDK ReadableSpan as the shared intermediate. SDK SpanKind counts from INTERNAL = 0 where OTLP
 * counts from UNSPECIFIED = 0, hence the +1; status codes agree (UNSET 0, OK 1, ERROR 2). Uses
 * only the span's fields, never an `@opentelemetry/*` runtime import.
 */
export function fromReadableSpan(span: ReadableSpan): OtelSpanData {
  const ctx = span.spanContext();
  const parent = span.parentSpanContext?.spanId;
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    ...(parent ? { parentSpanId: parent } : {}),
    name: span.name,
    kind: span.kind + 1,
    startNanos: hrNanos(span.startTime),
    endNanos: hrNanos(span.endTime),
    statusCode: span.status.code,
    ...(span.status.message ? { statusMessage: span.status.message } : {}),
    attributes: attributesOf(span.attributes),
    events: span.events.map((e) => ({ name: e.name, timeNanos: hrNanos(e.time), attributes: attributesOf(e.attributes) })),
    resource: attributesOf(span.resource.attributes),
  };
}
