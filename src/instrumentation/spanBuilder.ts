import { capSpanJson } from '../core/jsonAttributes.js';
import { Attr, type Attributes, type Span, type SpanEvent, type SpanKind, type StatusCode } from '../core/span.js';
import { formatSpanTime } from './formatSpanTime.js';
import { jsonMemberText } from './jsonMemberText.js';

/** Serialises a (possibly secret-bearing) value to redacted JSON text. */
export type JsonText = (value: unknown) => string;

/** Status plus the attributes that explain it. */
export interface Outcome {
  code: StatusCode;
  description?: string;
  attributes: Attributes;
}

const MAX_DESCRIPTION_CHARS = 300;

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function short(text: string): string {
  return text.length > MAX_DESCRIPTION_CHARS ? `${text.slice(0, MAX_DESCRIPTION_CHARS)}…` : text;
}

/** The MCP target of a request: the tool name of `tools/call`, the prompt name of `prompts/get`. */
export function rpcTarget(method: string, params: Record<string, unknown> | undefined): string | undefined {
  if (method === 'tools/call' || method === 'prompts/get') return str(params?.name);
  return undefined;
}

/** Span name per the OpenTelemetry MCP conventions: `{method} {target}`, else `{method}`. */
export function rpcSpanName(method: string, params: Record<string, unknown> | undefined): string {
  const target = rpcTarget(method, params);
  return target ? `${method} ${target}` : method;
}

const ARGUMENTS_PATH = ['params', 'arguments'] as const;

/**
 * Method-specific request attributes: tool name and input, prompt name, resource uri,
 * protocol version. `json` serialises (and redacts) nested values. `raw` is the request's
 * original text when it needs no redaction: the tool input is then cut out of it as sent
 * (see jsonMemberText) instead of serialised again. Adds to and returns `attrs`.
 */
export function requestAttributes(method: string, params: Record<string, unknown> | undefined, json: JsonText, attrs: Attributes = {}, raw?: string): Attributes {
  if (!params) return attrs;
  switch (method) {
    case 'tools/call': {
      const name = str(params.name);
      if (name !== undefined) attrs[Attr.TOOL_NAME] = name;
      attrs['gen_ai.operation.name'] = 'execute_tool';
      const args = params.arguments;
      attrs[Attr.TOOL_INPUT_JSON] = (args !== undefined && args !== null && raw !== undefined ? jsonMemberText(raw, ARGUMENTS_PATH) : undefined) ?? json(args ?? {});
      break;
    }
    case 'prompts/get': {
      const name = str(params.name);
      if (name !== undefined) attrs[Attr.PROMPT_NAME] = name;
      break;
    }
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe': {
      const uri = str(params.uri);
      if (uri !== undefined) attrs[Attr.RESOURCE_URI] = uri;
      break;
    }
    case 'initialize': {
      const version = str(params.protocolVersion);
      if (version !== undefined) attrs['mcp.protocol.version'] = version;
      break;
    }
  }
  return attrs;
}

const OK: Outcome = Object.freeze({ code: 'OK', attributes: Object.freeze({}) }) as Outcome;

/**
 * Outcome of a successful JSON-RPC result: OK, or ERROR for a tool result with `isError: true`
 * (its first text, through `redact`, explains it). The result itself is kept once, in
 * `mcp.rpc.response_json`; see docs/trace-format.md, "Payloads".
 */
export function resultOutcome(method: string, result: unknown, redact: (text: string) => string): Outcome {
  if (method !== 'tools/call' || result === null || typeof result !== 'object') return OK;
  const r = result as Record<string, unknown>;
  if (r.isError !== true) return OK;
  const first = Array.isArray(r.content) ? (r.content as unknown[]).find((c) => str((c as Record<string, unknown>)?.text) !== undefined) : undefined;
  const text = short(first ? redact((first as { text: string }).text) : 'tool returned isError: true');
  return { code: 'ERROR', description: text, attributes: { [Attr.ERROR_TYPE]: 'tool_error', [Attr.ERROR_MESSAGE]: text } };
}

/** Outcome of a JSON-RPC error response; `message` should already be redacted. */
export function errorOutcome(code: number | undefined, message: string): Outcome {
  const attributes: Attributes = { [Attr.ERROR_MESSAGE]: short(message) };
  if (code !== undefined) {
    attributes[Attr.RPC_STATUS_CODE] = String(code);
    attributes[Attr.ERROR_TYPE] = String(code);
    attributes[Attr.ERROR_CODE] = code;
  } else {
    attributes[Attr.ERROR_TYPE] = 'jsonrpc_error';
  }
  return { code: 'ERROR', description: short(message), attributes };
}

/** An outcome for failures the inspector itself observes (`connection_closed`, `cancelled`, `parse_error`...). */
export function failureOutcome(errorType: string, message: string): Outcome {
  return {
    code: 'ERROR',
    description: short(message),
    attributes: { [Attr.ERROR_TYPE]: errorType, [Attr.ERROR_MESSAGE]: short(message) },
  };
}

/** Everything needed to write one span. */
export interface SpanParts {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: SpanKind;
  startMicros: number;
  endMicros: number;
  outcome: Outcome;
  attributes: Attributes;
  events?: SpanEvent[];
  /** Cap for `*_json` attributes; undefined when the sink caps them (SpanSink.jsonCapBytes). */
  jsonCapBytes: number | undefined;
}

/** Assembles a trace-file span: merges outcome attributes, formats times, caps `*_json` attributes unless the sink does. */
export function buildSpan(parts: SpanParts): Span {
  const attributes = parts.attributes;
  const extra = parts.outcome.attributes;
  for (const key in extra) attributes[key] = extra[key]!;
  const outcome = parts.outcome;
  const status = outcome.description === undefined ? { status_code: outcome.code } : { status_code: outcome.code, description: outcome.description };
  const start_time = formatSpanTime(parts.startMicros);
  const end_time = formatSpanTime(Math.max(parts.endMicros, parts.startMicros));
  const span: Span =
    parts.parentSpanId === undefined
      ? { trace_id: parts.traceId, span_id: parts.spanId, name: parts.name, kind: parts.kind, start_time, end_time, status, attributes }
      : { trace_id: parts.traceId, span_id: parts.spanId, parent_span_id: parts.parentSpanId, name: parts.name, kind: parts.kind, start_time, end_time, status, attributes };
  if (parts.events && parts.events.length > 0) {
    span.events = parts.events;
  }
  if (parts.jsonCapBytes !== undefined) capSpanJson(span, parts.jsonCapBytes);
  return span;
}
