import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Attributes, Span } from '../core/span.js';

type HrTime = [number, number];

/** The resource and scope every span of one exporter carries. */
export interface ExportIdentity {
  /** Resource attributes (`service.name`, ...). */
  resource: Attributes;
  scope: { name: string; version?: string };
}

// SDK SpanKind numbering (INTERNAL = 0), which the OTLP encoders shift by one.
const KINDS: Record<Span['kind'], number> = { INTERNAL: 0, SERVER: 1, CLIENT: 2, PRODUCER: 3, CONSUMER: 4 };
const CODES: Record<Span['status']['status_code'], number> = { UNSET: 0, OK: 1, ERROR: 2 };

/**
 * Our RFC 3339 timestamp as OpenTelemetry's [seconds, nanoseconds], exact to the digits written
 * (the trace format keeps microseconds; a value with up to nine fraction digits keeps them all).
 */
export function isoToHrTime(iso: string): HrTime {
  const dot = iso.indexOf('.');
  const whole = dot === -1 ? iso : `${iso.slice(0, dot)}Z`;
  const seconds = Math.floor(Date.parse(whole) / 1000);
  const fraction = dot === -1 ? '' : iso.slice(dot + 1, -1);
  return [seconds, Number(fraction.padEnd(9, '0').slice(0, 9))];
}

function hrDiff(end: HrTime, start: HrTime): HrTime {
  let s = end[0] - start[0];
  let n = end[1] - start[1];
  if (n < 0) {
    s -= 1;
    n += 1_000_000_000;
  }
  return s < 0 ? [0, 0] : [s, n];
}

/**
 * One of our spans as the SDK's ReadableSpan, for the official OTLP exporters: ids, parent,
 * kind, times, status, attributes and events carried over unchanged; no links (we record
 * none). `identity` objects are shared, so the encoders group every span of an exporter under
 * one resource and scope. Only types are imported: nothing of `@opentelemetry/*` loads here.
 */
export function toReadableSpan(span: Span, identity: { resource: object; scope: ExportIdentity['scope'] }): ReadableSpan {
  const startTime = isoToHrTime(span.start_time);
  const endTime = isoToHrTime(span.end_time);
  const context = { traceId: span.trace_id, spanId: span.span_id, traceFlags: 1 };
  const readable = {
    name: span.name,
    kind: KINDS[span.kind] ?? 0,
    spanContext: () => context,
    ...(span.parent_span_id !== undefined ? { parentSpanContext: { traceId: span.trace_id, spanId: span.parent_span_id, traceFlags: 1 } } : {}),
    startTime,
    endTime,
    status: { code: CODES[span.status.status_code] ?? 0, ...(span.status.description !== undefined ? { message: span.status.description } : {}) },
    attributes: span.attributes,
    links: [],
    events: (span.events ?? []).map((e) => ({ name: e.name, time: isoToHrTime(e.time), ...(e.attributes ? { attributes: e.attributes } : {}), droppedAttributesCount: 0 })),
    duration: hrDiff(endTime, startTime),
    ended: true,
    resource: identity.resource,
    instrumentationScope: identity.scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
  return readable as unknown as ReadableSpan;
}

/** The smallest Resource the OTLP encoders read: its attributes (and no schema URL). */
export function plainResource(attributes: Attributes): object {
  return { attributes, asyncAttributesPending: false, schemaUrl: undefined, getRawAttributes: () => Object.entries(attributes) };
}
