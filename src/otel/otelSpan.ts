import { createHash } from 'node:crypto';
import { capJsonAttributes } from '../core/jsonAttributes.js';
import { isSpanId, isTraceId, SESSION_ID_PATTERN } from '../core/ids.js';
import type { Attributes, Span, SpanKind, StatusCode } from '../core/span.js';
import { formatMicros } from '../core/time.js';
import type { Redactor } from '../instrumentation/redaction.js';

/**
 * One span as OpenTelemetry describes it, whatever it came from (an OTLP request, an SDK
 * ReadableSpan): the single intermediate both the ingest and the SpanExporter convert through,
 * so the two produce the same trace lines. Kinds and status codes use OTLP numbering.
 */
export interface OtelSpanData {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startNanos: bigint;
  endNanos: bigint;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage?: string;
  attributes: Attributes;
  events: Array<{ name: string; timeNanos: bigint; attributes: Attributes }>;
  /** The resource's attributes (`service.name`, ...). */
  resource: Attributes;
}

const KINDS: SpanKind[] = ['INTERNAL', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const CODES: StatusCode[] = ['UNSET', 'OK', 'ERROR'];

/** Why a span cannot be stored (bad ids), or undefined when it can. */
export function otelSpanProblem(d: OtelSpanData): string | undefined {
  if (!isTraceId(d.traceId)) return `span ${JSON.stringify(d.name)}: invalid trace id`;
  if (!isSpanId(d.spanId)) return `span ${JSON.stringify(d.name)}: invalid span id`;
  if (d.parentSpanId !== undefined && !isSpanId(d.parentSpanId)) return `span ${JSON.stringify(d.name)}: invalid parent span id`;
  return undefined;
}

/** Epoch nanoseconds as our timestamp (microseconds, rounded half up). */
export function nanosToIso(nanos: bigint): string {
  return formatMicros(Number((nanos + 500n) / 1000n));
}

/**
 * Our trace line for `d`, with the recording rules applied: secrets redacted (JSON text in
 * `*_json` attributes by its keys too, every other string by the value patterns, values under
 * secret-named keys), `*_json` attributes capped with `<key>_truncated`. Ids must be valid
 * (see {@link otelSpanProblem}).
 */
export function toTraceSpan(d: OtelSpanData, redactor: Redactor): Span {
  const span: Span = {
    trace_id: d.traceId,
    span_id: d.spanId,
    ...(d.parentSpanId !== undefined ? { parent_span_id: d.parentSpanId } : {}),
    name: d.name,
    kind: KINDS[d.kind] ?? 'INTERNAL',
    start_time: nanosToIso(d.startNanos),
    end_time: nanosToIso(d.endNanos < d.startNanos ? d.startNanos : d.endNanos),
    status: { status_code: CODES[d.statusCode] ?? 'UNSET', ...(d.statusMessage ? { description: d.statusMessage } : {}) },
    attributes: cleanAttributes(d.attributes, redactor),
  };
  if (d.events.length > 0) {
    span.events = d.events.map((e) => ({
      name: e.name,
      time: nanosToIso(e.timeNanos),
      ...(Object.keys(e.attributes).length > 0 ? { attributes: cleanAttributes(e.attributes, redactor) } : {}),
    }));
  }
  return span;
}

function cleanAttributes(attributes: Attributes, redactor: Redactor): Attributes {
  if (!redactor.enabled) return capJsonAttributes({ ...attributes });
  // JSON text is redacted as JSON (keys inside it count); everything else as values under their keys.
  const plain: Attributes = {};
  let json = false;
  for (const key in attributes) {
    const v = attributes[key]!;
    if (typeof v === 'string' && key.endsWith('_json')) json = true;
    else plain[key] = v;
  }
  const redacted = redactor.redactValue(plain);
  if (!json) return capJsonAttributes(redacted === plain ? plain : { ...redacted });
  const out: Attributes = {};
  for (const key in attributes) {
    const v = attributes[key]!;
    out[key] = typeof v === 'string' && key.endsWith('_json') ? redactor.redactJson(v) : redacted[key]!;
  }
  return capJsonAttributes(out);
}

/** Which session a span belongs to, and the title that session gets. */
export interface SessionKey {
  sessionId: string;
  title: string;
  serviceName?: string;
}

/**
 * The session of a span: `mcp.session.id`, else `session.id`, on the span, else on its resource;
 * else one session per trace (`otlp-<trace id>`). Values that are not valid session ids are made
 * into one (other characters become `_`, long values keep a prefix and a hash). The title is the
 * resource's `service.name`, else `otlp`.
 */
export function sessionKeyOf(d: OtelSpanData): SessionKey {
  const raw = pick(d.attributes) ?? pick(d.resource);
  const serviceName = typeof d.resource['service.name'] === 'string' ? d.resource['service.name'] : undefined;
  return {
    sessionId: raw !== undefined ? toSessionId(raw) : `otlp-${d.traceId}`,
    title: serviceName ?? 'otlp',
    ...(serviceName !== undefined ? { serviceName } : {}),
  };
}

function pick(attrs: Attributes): string | undefined {
  for (const key of ['mcp.session.id', 'session.id']) {
    const v = attrs[key];
    if ((typeof v === 'string' && v.length > 0) || typeof v === 'number') return String(v);
  }
  return undefined;
}

/** A valid session id made from any string, stable for the same input. */
export function toSessionId(raw: string): string {
  if (SESSION_ID_PATTERN.test(raw)) return raw;
  let id = raw.replace(/[^A-Za-z0-9_-]/g, '_');
  if (id.length < 6) id = `otlp-${id}`.padEnd(6, '_');
  if (id.length > 128 || id !== raw) id = `${id.slice(0, 100)}-${createHash('sha256').update(raw).digest('hex').slice(0, 16)}`;
  return id;
}
