import { findById, idKey, type IdKey } from '../core/idKey.js';
import type { RpcId } from '../core/jsonRpc.js';
import type { Span, SpanEvent } from '../core/span.js';
import type { RpcDirection } from './hooks.js';
import type { SpanContext } from './traceContext.js';

/** A request seen without its response yet: everything its span is built from when it ends. */
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

/** Most open requests kept per direction; past it the oldest ends as ERROR `evicted`. */
export const MAX_OPEN_REQUESTS = 10_000;

/** A request the table let go of on `add`, and why: it must still end, as ERROR. */
export interface Displaced {
  req: OpenRequest;
  errorType: 'duplicate_request_id' | 'evicted';
  message: string;
}

/**
 * The open requests of one recorder, per direction, each under one id key (core/idKey: the raw
 * token for ids JSON.parse rounds), in begin order, with an index by progress token.
 */
export class OpenRequestTable {
  private readonly byDir: Record<RpcDirection, Map<IdKey, OpenRequest>> = { inbound: new Map(), outbound: new Map() };
  private readonly tokens = new Map<RpcId, OpenRequest>();

  get size(): number {
    return this.byDir.inbound.size + this.byDir.outbound.size;
  }

  /**
   * Opens `req`. A still-open request with the same direction and key, or the oldest one when
   * the direction is full, is removed and returned so the caller ends it.
   */
  add(req: OpenRequest): Displaced | undefined {
    const map = this.byDir[req.dir];
    const key = idKey(req.id, req.idText);
    let displaced: Displaced | undefined;
    const previous = map.get(key);
    if (previous) {
      this.remove(previous);
      displaced = { req: previous, errorType: 'duplicate_request_id', message: `request id ${req.idText ?? String(req.id)} was reused before a response` };
    } else if (map.size >= MAX_OPEN_REQUESTS) {
      const oldest = map.values().next().value as OpenRequest;
      this.remove(oldest);
      displaced = { req: oldest, errorType: 'evicted', message: `more than ${MAX_OPEN_REQUESTS} requests open` };
    }
    map.set(key, req);
    // A server request naming the token of the client request it serves must not take over that request's progress.
    if (req.progressToken !== undefined && this.tokens.get(req.progressToken)?.dir !== otherDir(req.dir)) this.tokens.set(req.progressToken, req);
    return displaced;
  }

  /**
   * The open request with this id. `idText` (the id's JSON text, for numbers that are not safe
   * integers) matches exactly; without it, or when nothing has that text, the id matches by value
   * (a peer that parsed and re-serialised a huge id answers with the rounded number).
   */
  find(dir: RpcDirection, id: RpcId, idText?: string): OpenRequest | undefined {
    return findById(this.byDir[dir], id, idText);
  }

  /** Removes and returns an open request, matched as by `find`. */
  take(dir: RpcDirection, id: RpcId, idText?: string): OpenRequest | undefined {
    const req = this.find(dir, id, idText);
    if (req) this.remove(req);
    return req;
  }

  byProgressToken(token: RpcId): OpenRequest | undefined {
    return this.tokens.get(token);
  }

  /** The one request open in `dir`; undefined when none or several are (a caller must not guess). */
  sole(dir: RpcDirection): OpenRequest | undefined {
    const map = this.byDir[dir];
    return map.size === 1 ? (map.values().next().value as OpenRequest) : undefined;
  }

  /** Every open request, inbound then outbound, each direction in begin order. */
  *all(): IterableIterator<OpenRequest> {
    yield* this.byDir.inbound.values();
    yield* this.byDir.outbound.values();
  }

  /** The open requests of one direction in begin order (a scan by start time may stop early). */
  inBeginOrder(dir: RpcDirection): IterableIterator<OpenRequest> {
    return this.byDir[dir].values();
  }

  /** Removes and returns every open request. */
  drain(): OpenRequest[] {
    const all = [...this.all()];
    this.byDir.inbound.clear();
    this.byDir.outbound.clear();
    this.tokens.clear();
    return all;
  }

  private remove(req: OpenRequest): void {
    const map = this.byDir[req.dir];
    const key = idKey(req.id, req.idText);
    if (map.get(key) === req) map.delete(key);
    if (req.progressToken !== undefined && this.tokens.get(req.progressToken) === req) this.tokens.delete(req.progressToken);
  }
}

function otherDir(dir: RpcDirection): RpcDirection {
  return dir === 'inbound' ? 'outbound' : 'inbound';
}
