import { newSpanId } from '../core/ids.js';
import { Attr, type Attributes, type Span, type SpanEvent } from '../core/span.js';
import type { RpcDirection } from './hooks.js';
import type { OpenRequest } from './openRequests.js';
import type { Redactor } from './redaction.js';
import type { ClassifiedMessage } from '../core/jsonRpc.js';
import { buildSpan, errorOutcome, requestAttributes, resultOutcome, type JsonText, type Outcome } from './spanBuilder.js';
import type { SpanContext } from './traceContext.js';

/** What every span of one recorder shares. */
export interface SpanShape {
  sessionId: string;
  transport: string;
  /** OpenTelemetry `network.transport`, when known. */
  network: string | undefined;
  /** Trace id of spans with no parent. */
  traceId: string;
  redactor: Redactor;
  /** Cap for `*_json` attributes; undefined when the sink caps them. */
  jsonCapBytes: number | undefined;
}

/** Builds spans from what a recorder saw; no I/O, no bookkeeping (see createSpanFactory). */
export interface SpanFactory {
  /**
   * The span of `req` ended by `outcome` at `end` (µs): request JSON serialised and redacted,
   * `responseJson` (already redacted) when it had a response. `events` default to the request's.
   */
  request(req: OpenRequest, outcome: Outcome, end: number, responseJson?: string, events?: SpanEvent[]): Span;
  /** A zero-length span at `time` tied to no request (notification, stray error, invalid line). */
  loose(dir: RpcDirection, name: string, outcome: Outcome, attributes: Attributes, time: number, parent?: SpanContext): Span;
  /**
   * A response's redacted JSON text and the outcome it gives a request of `method` (undefined:
   * no request matched; only an error is recorded then). `raw` is its original text when known.
   */
  response(method: string | undefined, c: Extract<ClassifiedMessage, { kind: 'result' | 'error' }>, message: unknown, raw: string | undefined): { outcome: Outcome; responseJson: string };
  /** Serialises a value for an attribute, redacted. */
  readonly redactedJson: JsonText;
}

/** The `request + outcome -> span` function of one recorder. */
export function createSpanFactory(shape: SpanShape): SpanFactory {
  const { sessionId, transport, network, redactor, jsonCapBytes } = shape;
  const plainJson: JsonText = (v) => JSON.stringify(v) ?? 'null';
  const redactedJson: JsonText = (v) => JSON.stringify(redactor.redactValue(v)) ?? 'null';

  /**
   * The first attributes of a request's span, as one literal: objects of one shape make the
   * writer's JSON.stringify fast (bench "recorder hot path per request/response pair").
   */
  const spanBase = (req: OpenRequest): Attributes =>
    network === undefined
      ? { 'session.id': sessionId, 'mcp.session.id': sessionId, 'mcp.rpc.transport': transport, 'mcp.method.name': req.method, 'jsonrpc.request.id': req.idText ?? String(req.id), 'mcp.rpc.direction': req.dir }
      : { 'session.id': sessionId, 'mcp.session.id': sessionId, 'mcp.rpc.transport': transport, 'network.transport': network, 'mcp.method.name': req.method, 'jsonrpc.request.id': req.idText ?? String(req.id), 'mcp.rpc.direction': req.dir };

  const requestSpanAttributes = (req: OpenRequest, responseJson: string | undefined): Attributes => {
    const attributes = spanBase(req);
    if (responseJson !== undefined) attributes[Attr.RESPONSE_JSON] = responseJson;
    const text = req.raw ?? JSON.stringify(req.message);
    const secret = redactor.needsRedaction(req.message, text);
    attributes[Attr.REQUEST_JSON] = secret ? redactor.redactJson(text, req.message) : text;
    // The tool input is cut out of the request's text (raw, or the one serialisation above), not serialised again.
    requestAttributes(req.method, req.params, secret ? redactedJson : plainJson, attributes, secret ? undefined : text);
    if (req.droppedEvents) attributes['mcp.events.dropped'] = req.droppedEvents;
    return attributes;
  };

  const looseBase: Attributes = { [Attr.SESSION_ID]: sessionId, [Attr.MCP_SESSION_ID]: sessionId, [Attr.TRANSPORT]: transport };
  if (network !== undefined) looseBase[Attr.NETWORK_TRANSPORT] = network;

  return {
    redactedJson,
    response(method, c, message, raw) {
      const text = raw ?? JSON.stringify(message);
      const secret = redactor.needsRedaction(message, text);
      const responseJson = secret ? redactor.redactJson(text, message) : text;
      if (c.kind === 'error') return { outcome: errorOutcome(c.code, secret ? redactor.redactValue(c.message) : c.message), responseJson };
      // A tool's error text sits under no secret-named key (result.content[i].text): its own value patterns are all there is to redact.
      return { outcome: resultOutcome(method ?? '', c.result, secret ? (text) => redactor.redactValue(text) : (text) => text), responseJson };
    },
    request: (req, outcome, end, responseJson, events = req.events) =>
      buildSpan({
        traceId: req.ctx.traceId,
        spanId: req.ctx.spanId,
        parentSpanId: req.parentSpanId,
        name: req.name,
        kind: req.dir === 'inbound' ? 'SERVER' : 'CLIENT',
        startMicros: req.start,
        endMicros: end,
        outcome,
        attributes: requestSpanAttributes(req, responseJson),
        events,
        jsonCapBytes,
      }),
    loose: (dir, name, outcome, attributes, time, parent) => {
      // Object.assign rather than spread, which measured slower (bench "recorder total CPU per pair").
      const all: Attributes = Object.assign({}, looseBase);
      all[Attr.DIRECTION] = dir;
      return buildSpan({
        traceId: parent?.traceId ?? shape.traceId,
        spanId: newSpanId(),
        parentSpanId: parent?.spanId,
        name,
        kind: dir === 'inbound' ? 'SERVER' : 'CLIENT',
        startMicros: time,
        endMicros: time,
        outcome,
        attributes: Object.assign(all, attributes),
        jsonCapBytes,
      });
    },
  };
}
