import { z } from 'zod';
import { InspectorError } from '../core/errors.js';
import { newTraceId } from '../core/ids.js';
import { JSON_ATTRIBUTE_CAP_BYTES } from '../core/jsonAttributes.js';
import type { OpenRequestTracking } from '../core/spanSink.js';
import { reportTo } from '../core/reportTo.js';
import { Attr, type Attributes } from '../core/span.js';
import { nowMicros } from '../core/time.js';
import { classifyMessage, type ClassifiedMessage, type RpcId } from '../core/jsonRpc.js';
import { hookChannels, type RpcDirection } from './hooks.js';
import { createRedactor, type Redactor } from './redaction.js';
import {
  deriveNetworkTransport,
  RpcRecorderOptionsSchema,
  type RecordContext,
  type RecorderStats,
  type RpcRecorder,
  type RpcRecorderOptions,
} from './rpcRecorderOptions.js';
import type { OpenRequest, OpenRequestTable } from './openRequests.js';
import { idTextOf, isJson, metaOf, safeStringify } from './messageParts.js';
import { chooseParent, SERVER_TO_CLIENT_REQUESTS } from './parentChoice.js';
import { createSpanFactory, type SpanFactory } from './requestSpan.js';
import { SpanRecorder } from './spanRecorder.js';
import { failureOutcome, rpcSpanName } from './spanBuilder.js';
import { LazySpanContext, type SpanContext } from './traceContext.js';

export type { RecordContext, RecorderStats, RpcRecorder, RpcRecorderOptions } from './rpcRecorderOptions.js';

/** The cap the recorder applies itself: none when the sink caps at or below it (a span is capped once). */
function recorderCap(cap: number, sinkCap: number | undefined): number | undefined {
  return sinkCap !== undefined && sinkCap <= cap ? undefined : cap;
}

/** Creates a recorder for one session. Throws INVALID_ARGUMENT for bad options (the only throw). */
export function createRpcRecorder(options: RpcRecorderOptions): RpcRecorder {
  const checked = RpcRecorderOptionsSchema.safeParse(options);
  if (!checked.success) throw new InspectorError('INVALID_ARGUMENT', `invalid recorder options: ${z.prettifyError(checked.error)}`);
  return new MessageRecorder(options);
}

type Request = Extract<ClassifiedMessage, { kind: 'request' }>;
type Response = Extract<ClassifiedMessage, { kind: 'result' | 'error' }>;
type Notification = Extract<ClassifiedMessage, { kind: 'notification' }>;

/**
 * Messages to open requests and outcomes. The hot path does only what cannot wait: ids,
 * timestamps, matching. Serialising, redacting and building spans is deferred (SpanRecorder.defer),
 * so a message must not be mutated after it was handed over.
 */
class MessageRecorder implements RpcRecorder {
  readonly sessionId: string;
  readonly traceId: string;
  private readonly propagate: boolean;
  private readonly redactor: Redactor;
  private readonly factory: SpanFactory;
  private readonly spans: SpanRecorder;
  private readonly open: OpenRequestTable;
  private readonly tracking: OpenRequestTracking | undefined;
  private readonly report: (err: unknown) => void;

  constructor(options: RpcRecorderOptions) {
    this.sessionId = options.sessionId;
    this.traceId = options.traceId ?? newTraceId();
    this.propagate = options.propagate ?? true;
    this.redactor = createRedactor(options.redaction);
    this.report = reportTo(options.onError);
    this.factory = createSpanFactory({
      sessionId: options.sessionId,
      transport: options.transport,
      network: options.networkTransport ?? deriveNetworkTransport(options.transport),
      traceId: this.traceId,
      redactor: this.redactor,
      jsonCapBytes: recorderCap(options.jsonCapBytes ?? JSON_ATTRIBUTE_CAP_BYTES, options.sink.jsonCapBytes),
    });
    this.spans = new SpanRecorder({
      sink: options.sink,
      sessionId: options.sessionId,
      transport: options.transport,
      traceId: this.traceId,
      spans: this.factory,
      onError: options.onError,
      autoFlush: options.autoFlush ?? true,
      onBegin: () => this.tracking?.changed(),
    });
    this.open = this.spans.open;
    // Crash evidence: a sink that can keep it (the trace writer) learns of requests left open.
    this.tracking = options.sink.trackOpenRequests?.({ openCount: () => this.open.size, abandonedSpans: (before) => this.spans.abandonedSpans(before) });
    this.spans.started();
  }

  received(message: unknown, raw?: string, context?: RecordContext): SpanContext | undefined {
    return this.handle('inbound', message, raw, context);
  }

  sent(message: unknown, raw?: string, context?: RecordContext): SpanContext | undefined {
    return this.handle('outbound', message, raw, context);
  }

  malformed(direction: 'received' | 'sent', raw: string, error: string, time?: number): void {
    if (this.spans.closed) return;
    try {
      const text = typeof raw === 'string' ? raw : safeStringify(raw);
      this.invalid(direction === 'received' ? 'inbound' : 'outbound', text, isJson(text) ? 'invalid_request' : 'parse_error', String(error), time);
    } catch (err) {
      this.report(err);
    }
  }

  fail(direction: RpcDirection, id: RpcId, errorType: string, message: string): void {
    try {
      const req = this.open.take(direction, id);
      if (req) this.failLater(req, errorType, message);
    } catch (err) {
      this.report(err);
    }
  }

  flush(): void {
    this.spans.flush();
  }

  close(reason?: string): void {
    this.spans.close(reason ?? 'connection closed');
    this.tracking?.stop();
  }

  stats(): RecorderStats {
    return this.spans.stats();
  }

  openRequests(): number {
    return this.open.size;
  }

  spanContextOf(direction: RpcDirection, id: RpcId): SpanContext | undefined {
    return this.open.find(direction, id)?.ctx;
  }

  private handle(dir: RpcDirection, message: unknown, raw: string | undefined, ctx: RecordContext | undefined): SpanContext | undefined {
    if (this.spans.closed) return undefined;
    try {
      if (!Array.isArray(message)) return this.handleOne(dir, message, raw, ctx);
      if (message.length === 0) this.invalid(dir, raw ?? '[]', 'invalid_request', 'empty batch', ctx?.time);
      for (const element of message) this.handleOne(dir, element, undefined, ctx);
    } catch (err) {
      this.report(err);
    }
    return undefined;
  }

  private handleOne(dir: RpcDirection, message: unknown, raw: string | undefined, ctx: RecordContext | undefined): SpanContext | undefined {
    const c = classifyMessage(message);
    switch (c.kind) {
      case 'request':
        return this.onRequest(dir, c, message, raw, ctx);
      case 'result':
      case 'error':
        this.onResponse(dir === 'inbound' ? 'outbound' : 'inbound', dir, c, message, raw, ctx?.time);
        return undefined;
      case 'notification':
        this.onNotification(dir, c, message, raw, ctx);
        return undefined;
      case 'invalid':
        this.invalid(dir, raw ?? safeStringify(message), 'invalid_request', c.reason, ctx?.time);
        return undefined;
    }
  }

  /**
   * The parent of a message's span, chosen here for requests and notifications alike (the rule
   * itself is chooseParent). A caller that gives the span id of a sent request chose the parent
   * too, and already put it in the message's `_meta`. `method` is given for requests only.
   */
  private parentOf(dir: RpcDirection, ctx: RecordContext | undefined, meta: Record<string, unknown> | undefined, method?: string): SpanContext | undefined {
    if (dir === 'outbound' && ctx?.spanId !== undefined) return ctx.parent;
    const related = ctx?.relatedRequestId;
    return chooseParent(dir, {
      current: ctx?.parent,
      meta,
      propagate: this.propagate,
      related: related === undefined ? undefined : () => this.open.find('inbound', related)?.ctx,
      cause: method !== undefined && SERVER_TO_CLIENT_REQUESTS.has(method) ? () => this.causeOf(dir, meta) : undefined,
    });
  }

  /**
   * The request of the other side a server-to-client request serves: the only one open then, else
   * the one whose progress token its `_meta.progressToken` names, else none (never a guess). Reading
   * the span id fixes it (LazySpanContext), so the parent's span, written later, carries that id.
   */
  private causeOf(dir: RpcDirection, meta: Record<string, unknown> | undefined): SpanContext | undefined {
    const other: RpcDirection = dir === 'inbound' ? 'outbound' : 'inbound';
    const sole = this.open.sole(other);
    if (sole) return sole.ctx;
    const token = meta?.progressToken;
    const linked = typeof token === 'string' || typeof token === 'number' ? this.open.byProgressToken(token) : undefined;
    return linked?.dir === other ? linked.ctx : undefined;
  }

  private onRequest(dir: RpcDirection, c: Request, message: unknown, raw: string | undefined, ctx: RecordContext | undefined): SpanContext {
    const start = ctx?.time ?? nowMicros();
    const meta = metaOf(c.params);
    const parent = this.parentOf(dir, ctx, meta, c.method);
    const spanCtx = new LazySpanContext(parent?.traceId ?? this.traceId, parent?.traceFlags ?? 1, parent?.traceState, dir === 'outbound' ? ctx?.spanId : undefined);
    const token = meta?.progressToken;
    this.spans.begin({
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
      hookChannels.beforeRpcRequest.publish({ sessionId: this.sessionId, direction: dir, method: c.method, id: c.id, traceId: spanCtx.traceId, spanId: spanCtx.spanId, message });
    }
    return spanCtx;
  }

  private onResponse(reqDir: RpcDirection, respDir: RpcDirection, c: Response, message: unknown, raw: string | undefined, time: number | undefined): void {
    const req = c.id === null ? undefined : this.open.take(reqDir, c.id, idTextOf(c.id, raw));
    // A result nobody asked for (late answer to a cancelled request) is dropped; an error is kept.
    if (!req && c.kind === 'result') return;
    const end = time ?? nowMicros();
    this.spans.defer(() => {
      const { outcome, responseJson } = this.factory.response(req?.method, c, message, raw);
      if (req) this.spans.finish(req, outcome, end, responseJson);
      else this.spans.loose(respDir, 'jsonrpc.error', outcome, { [Attr.RESPONSE_JSON]: responseJson }, end);
    });
  }

  /** Ends a request without a response, off the hot path. */
  private failLater(req: OpenRequest, errorType: string, message: string, time?: number): void {
    const end = time ?? nowMicros();
    this.spans.defer(() => this.spans.finish(req, failureOutcome(errorType, message), end));
  }

  /** Progress and cancellation become events of their request (cancellation also ends it); others a span of their own. */
  private onNotification(dir: RpcDirection, c: Notification, message: unknown, raw: string | undefined, ctx: RecordContext | undefined): void {
    if (hookChannels.rpcNotification.hasSubscribers) {
      hookChannels.rpcNotification.publish({ sessionId: this.sessionId, direction: dir, method: c.method, message });
    }
    if (this.asEvent(dir, c, ctx)) return;
    const time = ctx?.time ?? nowMicros();
    const parent = this.parentOf(dir, ctx, metaOf(c.params));
    this.spans.defer(() => {
      const attrs: Attributes = { [Attr.MCP_METHOD]: c.method, [Attr.REQUEST_JSON]: this.redactor.redactJson(raw ?? JSON.stringify(message), message) };
      this.spans.loose(dir, c.method, { code: 'UNSET', attributes: {} }, attrs, time, parent);
    });
  }

  /** Records a notification as an event of the open request it is about; false when there is none. */
  private asEvent(dir: RpcDirection, c: Notification, ctx: RecordContext | undefined): boolean {
    const p = c.params;
    const redactor = this.redactor;
    if (c.method === 'notifications/progress') {
      const token = p?.progressToken;
      const req = typeof token === 'string' || typeof token === 'number' ? this.open.byProgressToken(token) : undefined;
      if (!req) return false;
      const attrs: Attributes = {};
      if (typeof p?.progress === 'number') attrs['mcp.progress'] = p.progress;
      if (typeof p?.total === 'number') attrs['mcp.progress.total'] = p.total;
      if (typeof p?.message === 'string') attrs['mcp.progress.message'] = redactor.redactValue(p.message);
      this.spans.addEvent(req, c.method, attrs);
      return true;
    }
    if (c.method === 'notifications/cancelled') {
      const id = p?.requestId;
      const req = typeof id === 'string' || typeof id === 'number' ? this.open.take(dir, id) : undefined;
      if (!req) return false;
      const reason = typeof p?.reason === 'string' ? redactor.redactValue(p.reason) : undefined;
      this.spans.addEvent(req, c.method, reason === undefined ? {} : { 'mcp.cancel.reason': reason });
      this.failLater(req, 'cancelled', reason === undefined ? 'cancelled' : `cancelled: ${reason}`, ctx?.time);
      return true;
    }
    if (dir !== 'outbound' || ctx?.relatedRequestId === undefined) return false;
    const req = this.open.find('inbound', ctx.relatedRequestId);
    if (!req) return false;
    this.spans.addEvent(req, c.method, { 'mcp.notification.params_json': this.factory.redactedJson(p ?? {}) });
    return true;
  }

  private invalid(dir: RpcDirection, raw: string, errorType: string, error: string, at?: number): void {
    const time = at ?? nowMicros();
    this.spans.defer(() => this.spans.loose(dir, 'jsonrpc.invalid', failureOutcome(errorType, error), { [Attr.REQUEST_JSON]: this.redactor.redactJson(raw) }, time));
  }
}

