import { z } from 'zod';
import { InspectorError } from '../core/errors.js';
import { MAX_JSON_DEPTH, jsonTextTooDeep } from '../core/jsonDepth.js';
import type { AttributeValue, Attributes } from '../core/span.js';
import { firstIssue } from '../core/zodIssues.js';
import type { OtelSpanData } from './otelSpan.js';
import { OTLP_TRACE_PROTO } from './otlpTraceProto.js';

/** The wire formats of OTLP/HTTP. */
export type OtlpFormat = 'protobuf' | 'json';

interface ProtoTypes {
  request: { decode(data: Uint8Array): unknown };
  response: { encode(message: unknown): { finish(): Uint8Array }; fromObject(o: unknown): unknown };
}
let types: Promise<ProtoTypes> | undefined;

/** The compiled OTLP messages; protobufjs is loaded on first use only. */
function protoTypes(): Promise<ProtoTypes> {
  types ??= import('protobufjs').then((mod) => {
    const protobuf = ((mod as unknown as { default?: typeof mod }).default ?? mod) as typeof mod;
    const root = protobuf.parse(OTLP_TRACE_PROTO, { keepCase: false }).root;
    return {
      request: root.lookupType('opentelemetry.proto.ExportTraceServiceRequest'),
      response: root.lookupType('opentelemetry.proto.ExportTraceServiceResponse'),
    };
  });
  return types;
}

/**
 * Decodes an OTLP ExportTraceServiceRequest (protobuf bytes, or OTLP/JSON text: hex ids,
 * integers as numbers or strings) into spans. Throws INVALID_ARGUMENT with the reason when the
 * payload is not such a request; nothing is partially returned.
 */
export async function decodeTraceRequest(body: Uint8Array, format: OtlpFormat): Promise<OtelSpanData[]> {
  if (format === 'json') return fromJson(body);
  const { request } = await protoTypes();
  let message: unknown;
  try {
    message = request.decode(body);
  } catch (err) {
    throw new InspectorError('INVALID_ARGUMENT', `malformed OTLP protobuf: ${err instanceof Error ? err.message : String(err)}`);
  }
  return fromProto(message as ProtoRequest);
}

/** The body of an ExportTraceServiceResponse, reporting `rejected` spans when any. */
export async function encodeTraceResponse(format: OtlpFormat, rejected: number, errorMessage: string): Promise<Uint8Array> {
  const object = rejected > 0 || errorMessage ? { partialSuccess: { rejectedSpans: rejected, errorMessage } } : {};
  if (format === 'json') return Buffer.from(JSON.stringify(object));
  const { response } = await protoTypes();
  return response.encode(response.fromObject(object)).finish();
}

// --- protobuf ------------------------------------------------------------------------------

interface LongLike { toString(): string }
interface ProtoAny { value?: string; stringValue?: string; boolValue?: boolean; intValue?: LongLike | number; doubleValue?: number; arrayValue?: { values?: ProtoAny[] }; kvlistValue?: { values?: ProtoKv[] }; bytesValue?: Uint8Array }
interface ProtoKv { key?: string; value?: ProtoAny }
interface ProtoSpan {
  traceId?: Uint8Array; spanId?: Uint8Array; parentSpanId?: Uint8Array; name?: string; kind?: number;
  startTimeUnixNano?: LongLike | number; endTimeUnixNano?: LongLike | number; attributes?: ProtoKv[];
  events?: Array<{ timeUnixNano?: LongLike | number; name?: string; attributes?: ProtoKv[] }>;
  status?: { message?: string; code?: number };
}
interface ProtoRequest { resourceSpans?: Array<{ resource?: { attributes?: ProtoKv[] }; scopeSpans?: Array<{ spans?: ProtoSpan[] }> }> }

const hex = (b: Uint8Array | undefined): string => (b instanceof Uint8Array && b.byteLength > 0 ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex') : '');
const nanos = (v: LongLike | number | undefined): bigint => (v === undefined ? 0n : BigInt(typeof v === 'number' ? Math.trunc(v) : v.toString()));

function protoValue(v: ProtoAny | undefined, depth = 0): unknown {
  // Decoded messages carry defaults on their prototype: the oneof's virtual `value` names the member actually set.
  switch (v?.value) {
    case 'stringValue': return v.stringValue;
    case 'boolValue': return v.boolValue;
    case 'intValue': return Number(typeof v.intValue === 'number' ? v.intValue : v.intValue!.toString());
    case 'doubleValue': return v.doubleValue;
    case 'bytesValue': return Buffer.from(v.bytesValue!).toString('base64');
    case 'arrayValue': return depth > 32 ? null : (v.arrayValue!.values ?? []).map((x) => protoValue(x, depth + 1));
    case 'kvlistValue': return depth > 32 ? null : Object.fromEntries((v.kvlistValue!.values ?? []).map((kv) => [kv.key ?? '', protoValue(kv.value, depth + 1)]));
    default: return '';
  }
}

function protoAttributes(kvs: ProtoKv[] | undefined): Attributes {
  const out: Attributes = {};
  for (const kv of kvs ?? []) if (kv.key) out[kv.key] = flatten(protoValue(kv.value));
  return out;
}

function fromProto(message: ProtoRequest): OtelSpanData[] {
  const spans: OtelSpanData[] = [];
  for (const rs of message.resourceSpans ?? []) {
    const resource = protoAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const parent = hex(s.parentSpanId);
        spans.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          ...(parent ? { parentSpanId: parent } : {}),
          name: s.name ?? '',
          kind: s.kind ?? 0,
          startNanos: nanos(s.startTimeUnixNano),
          endNanos: nanos(s.endTimeUnixNano),
          statusCode: s.status?.code ?? 0,
          ...(s.status?.message ? { statusMessage: s.status.message } : {}),
          attributes: protoAttributes(s.attributes),
          events: (s.events ?? []).map((e) => ({ name: e.name ?? '', timeNanos: nanos(e.timeUnixNano), attributes: protoAttributes(e.attributes) })),
          resource,
        });
      }
    }
  }
  return spans;
}

// --- JSON ----------------------------------------------------------------------------------

const IntSchema = z.union([z.number().int().nonnegative(), z.string().regex(/^-?\d{1,20}$/)]);
type JsonAny = { stringValue?: string; boolValue?: boolean; intValue?: number | string; doubleValue?: number | string; arrayValue?: { values?: JsonAny[] }; kvlistValue?: { values?: JsonKv[] }; bytesValue?: string };
type JsonKv = { key: string; value?: JsonAny };
const AnySchema: z.ZodType<JsonAny> = z.lazy(() =>
  z.object({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: IntSchema.optional(),
    doubleValue: z.union([z.number(), z.string()]).optional(),
    arrayValue: z.object({ values: z.array(AnySchema).optional() }).optional(),
    kvlistValue: z.object({ values: z.array(KvSchema).optional() }).optional(),
    bytesValue: z.string().optional(),
  }),
);
const KvSchema: z.ZodType<JsonKv> = z.lazy(() => z.object({ key: z.string(), value: AnySchema.optional() }));
const HexSchema = z.string().max(64).optional();
const JsonRequestSchema = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes: z.array(KvSchema).optional() }).optional(),
        scopeSpans: z
          .array(
            z.object({
              spans: z
                .array(
                  z.object({
                    traceId: HexSchema,
                    spanId: HexSchema,
                    parentSpanId: HexSchema,
                    name: z.string().optional(),
                    kind: z.number().int().optional(),
                    startTimeUnixNano: IntSchema.optional(),
                    endTimeUnixNano: IntSchema.optional(),
                    attributes: z.array(KvSchema).optional(),
                    events: z.array(z.object({ timeUnixNano: IntSchema.optional(), name: z.string().optional(), attributes: z.array(KvSchema).optional() })).optional(),
                    status: z.object({ message: z.string().optional(), code: z.number().int().optional() }).optional(),
                  }),
                )
                .optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
});

function jsonValue(v: JsonAny | undefined, depth = 0): unknown {
  if (!v) return '';
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (depth > 32) return null;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map((x) => jsonValue(x, depth + 1));
  if (v.kvlistValue !== undefined) return Object.fromEntries((v.kvlistValue.values ?? []).map((kv) => [kv.key, jsonValue(kv.value, depth + 1)]));
  return '';
}

function jsonAttributes(kvs: JsonKv[] | undefined): Attributes {
  const out: Attributes = {};
  for (const kv of kvs ?? []) if (kv.key) out[kv.key] = flatten(jsonValue(kv.value));
  return out;
}

function fromJson(body: Uint8Array): OtelSpanData[] {
  let parsed: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    if (jsonTextTooDeep(text)) throw new Error(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InspectorError('INVALID_ARGUMENT', `malformed OTLP JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const result = JsonRequestSchema.safeParse(parsed);
  if (!result.success) throw new InspectorError('INVALID_ARGUMENT', `malformed OTLP JSON at ${firstIssue(result.error, '(root)')}`);
  const spans: OtelSpanData[] = [];
  for (const rs of result.data.resourceSpans ?? []) {
    const resource = jsonAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: (s.traceId ?? '').toLowerCase(),
          spanId: (s.spanId ?? '').toLowerCase(),
          ...(s.parentSpanId ? { parentSpanId: s.parentSpanId.toLowerCase() } : {}),
          name: s.name ?? '',
          kind: s.kind ?? 0,
          startNanos: BigInt(s.startTimeUnixNano ?? 0),
          endNanos: BigInt(s.endTimeUnixNano ?? 0),
          statusCode: s.status?.code ?? 0,
          ...(s.status?.message ? { statusMessage: s.status.message } : {}),
          attributes: jsonAttributes(s.attributes),
          events: (s.events ?? []).map((e) => ({ name: e.name ?? '', timeNanos: BigInt(e.timeUnixNano ?? 0), attributes: jsonAttributes(e.attributes) })),
          resource,
        });
      }
    }
  }
  return spans;
}

// --- shared --------------------------------------------------------------------------------

/**
 * An OpenTelemetry value as one of our attribute values: primitives as they are, homogeneous
 * arrays of primitives as arrays, anything else (maps, mixed or nested arrays) as JSON text.
 */
export function flatten(value: unknown): AttributeValue {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) {
    const kinds = new Set(value.map((v) => typeof v));
    if (value.length === 0) return [] as string[];
    if (kinds.size === 1 && (kinds.has('string') || kinds.has('boolean') || (kinds.has('number') && value.every((v) => Number.isFinite(v))))) return value as AttributeValue;
  }
  return JSON.stringify(value) ?? '';
}
