import { newSpanId } from '../core/ids.js';
import { isRealError } from '../core/outcome.js';
import { Attr, type Attributes, type Span, type SpanEvent } from '../core/span.js';
import type { SpanSink } from '../core/spanSink.js';
import { nowMicros } from '../core/time.js';
import type { RpcId } from '../core/jsonRpc.js';
import { hookChannels, type RpcDirection } from './hooks.js';
import { formatSpanTime } from './formatSpanTime.js';
import { buildSpan, failureOutcome, type Outcome } from './spanBuilder.js';
import type { SpanContext } from './traceContext.js';

/** A request seen without its response yet. */
export interface OpenRequest {
  dir: RpcDirection;
  id: RpcId;
  /**
   * The id's JSON text when it is a number JSON.parse cannot give back exactly (above 2^53, say,
   * or `1e400`) and the message's text was known; such requests are matched by this text.
   */
  idText: string | undefined;
  method: string;
  ctx: SpanContext;
  parentSpanId: string | undefined;
  start: number;
  name: string;
  progressToken: RpcId | undefined;
  events: SpanEvent[] | undefined;
  droppedEvents: number;
  /** The request as seen; its attributes are built from it when the span ends (off the hot path). */
  message: unknown;
  /** Its original text, when known. */
  raw: string | undefined;
  params: Record<string, unknown> | undefined;
  /** Its abandoned-span skeleton, built once (again when events were added since). */
  abandoned?: { span: Span; events: number } | undefined;
}

/** `error.type` of a request that was in flight when the recording process died. */
export const ABANDONED_ERROR_TYPE = 'abandoned';
const ABANDONED_DESCRIPTION = 'abandoned: the recording process died with this request in flight (end time: when it was last known alive)';

export interface SpanRecorderOptions {
  sink: SpanSink;
  sessionId: string;
  transport: string;
  traceId: string;
  /** Attributes every span carries (session ids, transport). */
  base: Attributes;
  /** Cap for `*_json` attributes; undefined when the sink caps them. */
  jsonCapBytes: number | undefined;
  onError?: ((err: unknown) => void) | undefined;
  /** Builds a request's attributes just before its span is built (`responseJson` when it had a response). */
  prepare: (req: OpenRequest, responseJson: string | undefined) => Attributes;
  /** Default true: deferred work runs on the next turn of the event loop; false: only at flush(). */
  autoFlush?: boolean;
  /** Called when a request begins (the sink's open-request tracking wakes up on it). */
  onBegin?: (() => void) | undefined;
}

/** Bookkeeping behind the RPC recorder: open requests, span output, counts and hooks. */
export interface SpanRecorder {
  readonly closed: boolean;
  now(): number;
  /** Registers a request; a still-open request with the same direction and id ends as ERROR first. */
  begin(req: OpenRequest): void;
  /**
   * The open request with this id. `idText` (the id's JSON text, for numbers that are not safe
   * integers) matches exactly; without it, or when nothing has that text, the id matches by value
   * (a peer that parsed and re-serialised a huge id answers with the rounded number).
   */
  open(dir: RpcDirection, id: RpcId, idText?: string): OpenRequest | undefined;
  /** Removes and returns an open request, matched as by `open`. */
  take(dir: RpcDirection, id: RpcId, idText?: string): OpenRequest | undefined;
  byProgressToken(token: RpcId): OpenRequest | undefined;
  addEvent(req: OpenRequest, name: string, attributes: Attributes): void;
  /** Writes the span of a request already taken; `end` defaults to now. */
  finish(req: OpenRequest, outcome: Outcome, end?: number, responseJson?: string): void;
  /** Writes a zero-length span at `time` not tied to a request (notification, stray error, invalid line). */
  loose(dir: RpcDirection, name: string, outcome: Outcome, attributes: Attributes, time: number, parent?: SpanContext): void;
  /** Queues work for the next turn of the event loop (or the next flush() without autoFlush), off the traffic's hot path. */
  defer(task: () => void): void;
  /** Runs queued work now. */
  flush(): void;
  started(): void;
  close(reason: string): void;
  stats(): { requests: number; toolCalls: number; errors: number; spans: number };
  openCount(): number;
  /**
   * Spans for the requests open since `startedBefore` (µs) or earlier, as they would be written
   * had the process died now: ERROR `abandoned`, request JSON, real start; end = start (the
   * writer of the evidence sets it). Open requests are kept in begin order, so the scan stops
   * at the first younger one.
   */
  abandonedSpans(startedBefore: number): Span[];
}

/** Most open requests kept per direction; past it the oldest ends as ERROR `evicted`. */
export const MAX_OPEN_REQUESTS = 10_000;
/** Most events kept on one span; later ones are counted in `mcp.events.dropped`. */
export const MAX_EVENTS_PER_SPAN = 1_000;

/** Creates the bookkeeping for one recorder. */
export function createSpanRecorder(o: SpanRecorderOptions): SpanRecorder {
  const maps: Record<RpcDirection, Map<RpcId, OpenRequest>> = { inbound: new Map(), outbound: new Map() };
  /** Requests with an `idText`, by that text: numbers that are equal as doubles stay apart here. */
  const byText: Record<RpcDirection, Map<string, OpenRequest>> = { inbound: new Map(), outbound: new Map() };
  const find = (dir: RpcDirection, id: RpcId, idText: string | undefined): OpenRequest | undefined => {
    const texts = byText[dir];
    if (texts.size > 0) {
      const exact = idText === undefined ? undefined : texts.get(idText);
      if (exact !== undefined) return exact;
      if (typeof id === 'number' && !Number.isSafeInteger(id)) for (const req of texts.values()) if (req.id === id) return req;
    }
    return maps[dir].get(id);
  };
  const tokens = new Map<RpcId, OpenRequest>();
  const counts = { requests: 0, toolCalls: 0, errors: 0, spans: 0 };
  let closed = false;

  const report = (err: unknown): void => {
    try {
      o.onError?.(err);
    } catch {
      // nowhere left to report
    }
  };

  const write = (span: Span): void => {
    counts.spans++;
    // Real errors only: a probe answered "method not found" is recorded but is not an error.
    if (span.status.status_code === 'ERROR' && isRealError(span)) counts.errors++;
    try {
      o.sink.write(span);
    } catch (err) {
      report(err);
    }
    if (hookChannels.spanEnd.hasSubscribers) hookChannels.spanEnd.publish({ sessionId: o.sessionId, span });
  };

  const release = (req: OpenRequest): void => {
    if (req.idText !== undefined) byText[req.dir].delete(req.idText);
    else maps[req.dir].delete(req.id);
    if (req.progressToken !== undefined && tokens.get(req.progressToken) === req) tokens.delete(req.progressToken);
  };

  const queue: Array<() => void> = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    // Tasks may queue more (a hook subscriber recording, say): take them all, in order.
    for (let i = 0; i < queue.length; i++) {
      try {
        queue[i]!();
      } catch (err) {
        report(err);
      }
    }
    queue.length = 0;
  };

  const autoFlush = o.autoFlush ?? true;
  // Object.assign rather than spread, which measured slower on the recorder's path (bench "recorder total CPU per pair").
  const looseAttributes = (dir: RpcDirection, attributes: Attributes): Attributes => {
    const all: Attributes = Object.assign({}, o.base);
    all[Attr.DIRECTION] = dir;
    return Object.assign(all, attributes);
  };
  /** The span of a request ended by `outcome` at `end` (the one place a request's span is built). */
  const requestSpan = (req: OpenRequest, outcome: Outcome, end: number, responseJson: string | undefined, events: SpanEvent[] | undefined): Span => {
    const attributes = o.prepare(req, responseJson);
    if (req.droppedEvents) attributes['mcp.events.dropped'] = req.droppedEvents;
    return buildSpan({
      traceId: req.ctx.traceId,
      spanId: req.ctx.spanId,
      parentSpanId: req.parentSpanId,
      name: req.name,
      kind: req.dir === 'inbound' ? 'SERVER' : 'CLIENT',
      startMicros: req.start,
      endMicros: end,
      outcome,
      attributes,
      events,
      jsonCapBytes: o.jsonCapBytes,
    });
  };
  const finish = (req: OpenRequest, outcome: Outcome, end: number = nowMicros(), responseJson?: string): void => {
    const span = requestSpan(req, outcome, end, responseJson, req.events);
    write(span);
    const isError = outcome.code === 'ERROR';
    if (hookChannels.afterRpcResponse.hasSubscribers) {
      hookChannels.afterRpcResponse.publish({ sessionId: o.sessionId, direction: req.dir, method: req.method, id: req.id, span, durationMs: (end - req.start) / 1000, isError });
    }
    if (isError && hookChannels.errorRpcRequest.hasSubscribers) {
      const errorType = String(span.attributes[Attr.ERROR_TYPE] ?? 'error');
      hookChannels.errorRpcRequest.publish({ sessionId: o.sessionId, direction: req.dir, method: req.method, id: req.id, span, errorType, errorMessage: span.status.description ?? '' });
    }
  };

  /** The request's span as if the process had died: built like `finish` would, never written here. */
  const abandonedSpan = (req: OpenRequest): Span => {
    const events = req.events?.length ?? 0;
    if (req.abandoned && req.abandoned.events === events) return req.abandoned.span;
    const span = requestSpan(req, failureOutcome(ABANDONED_ERROR_TYPE, ABANDONED_DESCRIPTION), req.start, undefined, req.events ? [...req.events] : undefined);
    req.abandoned = { span, events };
    return span;
  };

  return {
    get closed() {
      return closed;
    },
    now: nowMicros,
    begin(req) {
      const map = req.idText === undefined ? maps[req.dir] : byText[req.dir];
      const key = req.idText ?? req.id;
      const previous = (map as Map<RpcId, OpenRequest>).get(key);
      if (previous) {
        release(previous);
        finish(previous, failureOutcome('duplicate_request_id', `request id ${req.idText ?? String(req.id)} was reused before a response`));
      } else if (map.size >= MAX_OPEN_REQUESTS) {
        const oldest = map.values().next().value as OpenRequest;
        release(oldest);
        finish(oldest, failureOutcome('evicted', `more than ${MAX_OPEN_REQUESTS} requests open`));
      }
      (map as Map<RpcId, OpenRequest>).set(key, req);
      if (req.progressToken !== undefined) tokens.set(req.progressToken, req);
      o.onBegin?.();
      counts.requests++;
      if (req.method === 'tools/call') counts.toolCalls++;
    },
    open: (dir, id, idText) => find(dir, id, idText),
    take(dir, id, idText) {
      const req = find(dir, id, idText);
      if (req) release(req);
      return req;
    },
    byProgressToken: (token) => tokens.get(token),
    addEvent(req, name, attributes) {
      const events = (req.events ??= []);
      if (events.length >= MAX_EVENTS_PER_SPAN) {
        req.droppedEvents = (req.droppedEvents ?? 0) + 1;
        return;
      }
      events.push({ name, time: formatSpanTime(nowMicros()), attributes });
    },
    finish,
    defer(task) {
      queue.push(task);
      if (!scheduled && autoFlush) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
    loose(dir, name, outcome, attributes, now, parent) {
      write(
        buildSpan({
          traceId: parent?.traceId ?? o.traceId,
          spanId: newSpanId(),
          parentSpanId: parent?.spanId,
          name,
          kind: dir === 'inbound' ? 'SERVER' : 'CLIENT',
          startMicros: now,
          endMicros: now,
          outcome,
          attributes: looseAttributes(dir, attributes),
          jsonCapBytes: o.jsonCapBytes,
        }),
      );
    },
    started() {
      if (hookChannels.sessionStarted.hasSubscribers) {
        hookChannels.sessionStarted.publish({ sessionId: o.sessionId, transport: o.transport, traceId: o.traceId });
      }
    },
    close(reason) {
      if (closed) return;
      closed = true;
      flush();
      try {
        for (const map of [maps.inbound, byText.inbound, maps.outbound, byText.outbound]) {
          for (const req of [...map.values()]) {
            release(req);
            finish(req, failureOutcome('connection_closed', reason));
          }
        }
      } catch (err) {
        report(err);
      }
      tokens.clear();
      flush();
      if (hookChannels.sessionFinished.hasSubscribers) {
        hookChannels.sessionFinished.publish({ sessionId: o.sessionId, reason, stats: { ...counts } });
      }
    },
    stats: () => {
      flush();
      return { ...counts };
    },
    openCount: () => maps.inbound.size + maps.outbound.size + byText.inbound.size + byText.outbound.size,
    abandonedSpans(startedBefore) {
      const out: Span[] = [];
      // Each map holds its requests in start order, so a map's scan stops at the first too young.
      for (const map of [maps.inbound, byText.inbound, maps.outbound, byText.outbound]) {
        for (const req of map.values()) {
          if (req.start > startedBefore) break;
          try {
            out.push(abandonedSpan(req));
          } catch (err) {
            report(err);
          }
        }
      }
      return out;
    },
  };
}
