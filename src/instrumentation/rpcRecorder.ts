import { z } from 'zod';
import { InspectorError } from '../core/errors.js';
import { newTraceId } from '../core/ids.js';
import { rawIdToken } from '../core/rawIdToken.js';
import { JSON_ATTRIBUTE_CAP_BYTES } from '../core/jsonAttributes.js';
import { reportTo } from '../core/reportTo.js';
import { Attr, type Attributes } from '../core/span.js';
import { nowMicros } from '../core/time.js';
import { classifyMessage, type ClassifiedMessage, type RpcId } from '../core/jsonRpc.js';
import { hookChannels, type RpcDirection } from './hooks.js';
import { createRedactor } from './redaction.js';
import {
  deriveNetworkTransport,
  RpcRecorderOptionsSchema,
  type RecordContext,
  type RpcRecorder,
  type RpcRecorderOptions,
} from './rpcRecorderOptions.js';
import type { OpenRequest } from './openRequests.js';
import { chooseParent } from './parentChoice.js';
import { createSpanFactory } from './requestSpan.js';
import { SpanRecorder } from './spanRecorder.js';
import { errorOutcome, failureOutcome, resultOutcome, rpcSpanName, type JsonText } from './spanBuilder.js';
import { LazySpanContext, type SpanContext } from './traceContext.js';

export type { RecordContext, RecorderStats, RpcRecorder, RpcRecorderOptions } from './rpcRecorderOptions.js';

function metaOf(params: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const meta = params?._meta;
  return meta !== null && typeof meta === 'object' ? (meta as Record<string, unknown>) : undefined;
}

/** The cap the recorder applies itself: none when the sink caps at or below it (a span is capped once). */
function recorderCap(cap: number, sinkCap: number | undefined): number | undefined {
  return sinkCap !== undefined && sinkCap <= cap ? undefined : cap;
}

/** Creates a recorder for one session. Throws INVALID_ARGUMENT for bad options (the only throw). */
export function createRpcRecorder(options: RpcRecorderOptions): RpcRecorder {
  const checked = RpcRecorderOptionsSchema.safeParse(options);
  if (!checked.success) throw new InspectorError('INVALID_ARGUMENT', `invalid recorder options: ${z.prettifyError(checked.error)}`);
  const redactor = createRedactor(options.redaction);
  const traceId = options.traceId ?? newTraceId();
  const propagate = options.propagate ?? true;
  const factory = createSpanFactory({
    sessionId: options.sessionId,
    transport: options.transport,
    network: options.networkTransport ?? deriveNetworkTransport(options.transport),
    traceId,
    redactor,
    jsonCapBytes: recorderCap(options.jsonCapBytes ?? JSON_ATTRIBUTE_CAP_BYTES, options.sink.jsonCapBytes),
  });
  const spans = new SpanRecorder({
    sink: options.sink,
    sessionId: options.sessionId,
    transport: options.transport,
    traceId,
    spans: factory,
    onError: options.onError,
    autoFlush: options.autoFlush ?? true,
    onBegin: () => tracking?.changed(),
  });
  const open = spans.open;
  // Crash evidence: a sink that can keep it (the trace writer) learns of requests left open.
  const tracking = options.sink.trackOpenRequests?.({ openCount: () => open.size, abandonedSpans: (before) => spans.abandonedSpans(before) });
  const redactedJson = factory.redactedJson;
  const plainJson: JsonText = (v) => JSON.stringify(v) ?? 'null';
  const report = reportTo(options.onError);

  /**
   * The parent of a message's span, chosen here for requests and notifications alike (the rule
   * itself is chooseParent). A caller that gives the span id of a sent request chose the parent
   * too, and already put it in the message's `_meta`.
   */
  const parentOf = (dir: RpcDirection, ctx: RecordContext | undefined, meta: Record<string, unknown> | undefined): SpanContext | undefined => {
    if (dir === 'outbound' && ctx?.spanId !== undefined) return ctx.parent;
    const related = ctx?.relatedRequestId;
    return chooseParent(dir, { current: ctx?.parent, meta, propagate, related: related === undefined ? undefined : () => open.find('inbound', related)?.ctx });
  };

  /**
   * The hot path does only what cannot wait: ids, timestamps, matching. Serialising, redacting
   * and building spans is deferred (see SpanRecorder.defer), so the message must not be mutated
   * after it was handed over.
   */
  function onRequest(dir: RpcDirection, c: Extract<ClassifiedMessage, { kind: 'request' }>, message: unknown, raw: string | undefined, ctx: RecordContext | undefined): SpanContext {
    const start = ctx?.time ?? nowMicros();
    const meta = metaOf(c.params);
    const parent = parentOf(dir, ctx, meta);
    const spanCtx = new LazySpanContext(parent?.traceId ?? traceId, parent?.traceFlags ?? 1, parent?.traceState, dir === 'outbound' ? ctx?.spanId : undefined);
    const token = meta?.progressToken;
    spans.begin({
      dir,
      id: c.id,
      idText: idTextOf(c.id, raw),
      method: c.method,
      ctx: spanCtx,
      parentSpanId: parent?.spanId,
      start,
      name: rpcSpanName(c.method, c.params),
      progressToken: typeof token === 'string' || typeof token === 'number' ? token : undefined,
      events: undefined,
      droppedEvents: 0,
      message,
      raw,
      params: c.params,
    });
    if (hookChannels.beforeRpcRequest.hasSubscribers) {
      hookChannels.beforeRpcRequest.publish({ sessionId: options.sessionId, direction: dir, method: c.method, id: c.id, traceId: spanCtx.traceId, spanId: spanCtx.spanId, message });
    }
    return spanCtx;
  }

  function onResponse(reqDir: RpcDirection, respDir: RpcDirection, c: Extract<ClassifiedMessage, { kind: 'result' | 'error' }>, message: unknown, raw: string | undefined, time: number | undefined): void {
    const req = c.id === null ? undefined : open.take(reqDir, c.id, idTextOf(c.id, raw));
    // A result nobody asked for (late answer to a cancelled request) is dropped; an error is kept.
    if (!req && c.kind === 'result') return;
    const end = time ?? nowMicros();
    spans.defer(() => {
      const text = raw ?? JSON.stringify(message);
      const secret = redactor.needsRedaction(message, text);
      const responseJson = secret ? redactor.redactJson(text, message) : text;
      const errorText = c.kind === 'error' && secret ? redactor.redactValue(c.message) : undefined;
      if (!req) {
        if (c.kind === 'error') spans.loose(respDir, 'jsonrpc.error', errorOutcome(c.code, errorText ?? c.message), { [Attr.RESPONSE_JSON]: responseJson }, end);
        return;
      }
      // A redacted result also gives a redacted error text when the tool answered isError.
      const result = c.kind === 'result' && secret ? redactor.redactValue(c.result) : c.kind === 'result' ? c.result : undefined;
      const outcome = c.kind === 'result' ? resultOutcome(req.method, result, secret ? redactedJson : plainJson, secret ? undefined : raw) : errorOutcome(c.code, errorText ?? c.message);
      spans.finish(req, outcome, end, responseJson);
    });
  }

  /** Ends a request without a response, off the hot path. */
  function fail(req: OpenRequest, errorType: string, message: string, time?: number): void {
    const end = time ?? nowMicros();
    spans.defer(() => spans.finish(req, failureOutcome(errorType, message), end));
  }

  function onNotification(dir: RpcDirection, c: Extract<ClassifiedMessage, { kind: 'notification' }>, message: unknown, raw: string | undefined, ctx: RecordContext | undefined): void {
    if (hookChannels.rpcNotification.hasSubscribers) {
      hookChannels.rpcNotification.publish({ sessionId: options.sessionId, direction: dir, method: c.method, message });
    }
    const p = c.params;
    if (c.method === 'notifications/progress') {
      const token = p?.progressToken;
      const req = typeof token === 'string' || typeof token === 'number' ? open.byProgressToken(token) : undefined;
      if (req) {
        const attrs: Attributes = {};
        if (typeof p?.progress === 'number') attrs['mcp.progress'] = p.progress;
        if (typeof p?.total === 'number') attrs['mcp.progress.total'] = p.total;
        if (typeof p?.message === 'string') attrs['mcp.progress.message'] = redactor.redactValue(p.message);
        spans.addEvent(req, c.method, attrs);
        return;
      }
    } else if (c.method === 'notifications/cancelled') {
      const id = p?.requestId;
      const req = typeof id === 'string' || typeof id === 'number' ? open.take(dir, id) : undefined;
      if (req) {
        const reason = typeof p?.reason === 'string' ? redactor.redactValue(p.reason) : undefined;
        spans.addEvent(req, c.method, reason === undefined ? {} : { 'mcp.cancel.reason': reason });
        fail(req, 'cancelled', reason === undefined ? 'cancelled' : `cancelled: ${reason}`, ctx?.time);
        return;
      }
    } else if (dir === 'outbound' && ctx?.relatedRequestId !== undefined) {
      const req = open.find('inbound', ctx.relatedRequestId);
      if (req) {
        spans.addEvent(req, c.method, { 'mcp.notification.params_json': redactedJson(p ?? {}) });
        return;
      }
    }
    const time = ctx?.time ?? nowMicros();
    const parent = parentOf(dir, ctx, metaOf(p));
    spans.defer(() => {
      const attrs: Attributes = { [Attr.MCP_METHOD]: c.method, [Attr.REQUEST_JSON]: redactor.redactJson(raw ?? JSON.stringify(message), message) };
      spans.loose(dir, c.method, { code: 'UNSET', attributes: {} }, attrs, time, parent);
    });
  }

  function handleOne(dir: RpcDirection, message: unknown, raw: string | undefined, ctx: RecordContext | undefined): SpanContext | undefined {
    const c = classifyMessage(message);
    switch (c.kind) {
      case 'request':
        return onRequest(dir, c, message, raw, ctx);
      case 'result':
      case 'error':
        onResponse(dir === 'inbound' ? 'outbound' : 'inbound', dir, c, message, raw, ctx?.time);
        return undefined;
      case 'notification':
        onNotification(dir, c, message, raw, ctx);
        return undefined;
      case 'invalid':
        invalid(dir, raw ?? safeStringify(message), 'invalid_request', c.reason, ctx?.time);
        return undefined;
    }
  }

  function invalid(dir: RpcDirection, raw: string, errorType: string, error: string, at?: number): void {
    const time = at ?? nowMicros();
    spans.defer(() => spans.loose(dir, 'jsonrpc.invalid', failureOutcome(errorType, error), { [Attr.REQUEST_JSON]: redactor.redactJson(raw) }, time));
  }

  function handle(dir: RpcDirection, message: unknown, raw: string | undefined, ctx: RecordContext | undefined): SpanContext | undefined {
    if (spans.closed) return undefined;
    try {
      if (!Array.isArray(message)) return handleOne(dir, message, raw, ctx);
      if (message.length === 0) invalid(dir, raw ?? '[]', 'invalid_request', 'empty batch', ctx?.time);
      for (const element of message) handleOne(dir, element, undefined, ctx);
    } catch (err) {
      report(err);
    }
    return undefined;
  }

  spans.started();
  return {
    sessionId: options.sessionId,
    traceId,
    received: (message, raw, context) => handle('inbound', message, raw, context),
    sent: (message, raw, context) => handle('outbound', message, raw, context),
    malformed(direction, raw, error, time) {
      if (spans.closed) return;
      try {
        const text = typeof raw === 'string' ? raw : safeStringify(raw);
        invalid(direction === 'received' ? 'inbound' : 'outbound', text, isJson(text) ? 'invalid_request' : 'parse_error', String(error), time);
      } catch (err) {
        report(err);
      }
    },
    fail(direction, id, errorType, message) {
      try {
        const req = open.take(direction, id);
        if (req) fail(req, errorType, message);
      } catch (err) {
        report(err);
      }
    },
    flush: () => spans.flush(),
    close(reason) {
      spans.close(reason ?? 'connection closed');
      tracking?.stop();
    },
    stats: () => spans.stats(),
    openRequests: () => open.size,
    spanContextOf: (direction, id) => open.find(direction, id)?.ctx,
  };
}

/**
 * The id's JSON text when JSON.parse could not give the number back exactly (beyond 2^53, a
 * fraction, `1e400`), read from the message's text; undefined for strings and safe integers,
 * whose value is their identity, and when the text is unknown (batch elements, in-process).
 */
function idTextOf(id: RpcId, raw: string | undefined): string | undefined {
  return typeof id === 'number' && !Number.isSafeInteger(id) && raw !== undefined ? rawIdToken(raw) : undefined;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
