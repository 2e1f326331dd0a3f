import type { ServerResponse } from 'node:http';
import { createSession, type Session } from 'better-sse';
import type { SessionEvent } from '../../core/events.js';
import { SessionIdSchema } from '../../core/session.js';
import { firstIssue } from '../../core/zodIssues.js';
import type { EventBus } from '../../sessions/eventBus.js';
import { HttpError } from '../errors.js';
import type { Route, RouteContext } from '../router.js';

/** SSE options of the gateway (see {@link eventsRoute}). */
export interface SseOptions {
  /** Interval of the comment heartbeat. Default 15000 ms. */
  heartbeatMs?: number;
  /** Concurrent clients past which new ones get 503. Default 100. */
  maxClients?: number;
  /** Unsent bytes a client may accumulate before it is dropped. Default 1 MiB. */
  maxBacklogBytes?: number;
}

/** Suggested reconnection delay sent to every client. */
export const SSE_RETRY_MS = 2000;

/** The `/events` route and the means to end its streams. */
export interface EventsRoute {
  route: Route;
  /** Number of connected clients. */
  clientCount(): number;
  /** Ends every stream and stops listening to the bus. Idempotent. */
  close(): void;
}

/**
 * `GET /_inspector/events` (and HEAD): Server-Sent Events of `bus` (every session the control knows).
 * Each event has `id` (the bus id `<boot>-<seq>`), `event` (its type) and JSON `data`.
 * With `Last-Event-ID`, the missed events still in the ring buffer come first, in order and
 * without duplicates; when some were lost an `EventsLost` event (without `id`, so the client's
 * cursor stays meaningful) says so. `?session_id=` filters. A client whose unsent backlog
 * passes `maxBacklogBytes` is dropped. Without a bus the stream carries heartbeats only.
 */
export function eventsRoute(bus: EventBus | undefined, options: SseOptions, log: (line: string) => void): EventsRoute {
  const streams = new EventStreams(bus, options, log);
  return {
    route: { path: '/_inspector/events', methods: { GET: (ctx) => streams.open(ctx), HEAD: (ctx) => streams.head(ctx) }, auth: 'open' },
    clientCount: () => streams.clients.size,
    close: () => streams.close(),
  };
}

/** The open event streams of the gateway. */
class EventStreams {
  readonly clients = new Set<ServerResponse>();
  private readonly heartbeatMs: number;
  private readonly maxClients: number;
  private readonly maxBacklog: number;
  private closed = false;

  constructor(
    private readonly bus: EventBus | undefined,
    options: SseOptions,
    private readonly log: (line: string) => void,
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.maxClients = options.maxClients ?? 100;
    this.maxBacklog = options.maxBacklogBytes ?? 1024 * 1024;
  }

  async open({ req, res, query }: RouteContext): Promise<void> {
    const sessionId = parseQuery(query);
    const lastEventId = parseLastEventId(req.headers['last-event-id']);
    this.admit();
    const matches = (e: SessionEvent) => sessionId === undefined || e.session_id === sessionId;
    // Subscribe and snapshot the ring buffer in one synchronous step: nothing published in
    // between can be missed or sent twice.
    const queued: SessionEvent[] = [];
    let deliver: (e: SessionEvent) => void = (e) => queued.push(e);
    const unsubscribe = this.bus?.subscribe((e) => {
      if (matches(e)) deliver(e);
    });
    const replay = this.bus && lastEventId !== undefined ? this.bus.since(lastEventId) : { events: [], lost: false };
    this.clients.add(res);
    const cleanup = () => {
      unsubscribe?.();
      this.clients.delete(res);
    };
    res.once('close', cleanup);
    const session = await this.startSession(req, res, cleanup);
    const send = this.sender(session, res);
    if (replay.lost) await sendEventsLost(session, lastEventId);
    const replayed = new Set<string>();
    for (const e of replay.events) {
      if (!matches(e)) continue;
      replayed.add(e.id);
      send(e);
    }
    for (const e of queued) if (!replayed.has(e.id)) send(e);
    queued.length = 0;
    deliver = send;
  }

  /** HEAD: what GET would answer, without opening a stream (no subscriber, no client slot). */
  head({ req, res, query }: RouteContext): void {
    parseQuery(query);
    parseLastEventId(req.headers['last-event-id']);
    this.admit();
    res.writeHead(200, SSE_HEAD_HEADERS);
    res.end();
  }

  close(): void {
    this.closed = true;
    for (const res of [...this.clients]) res.end();
    this.clients.clear();
  }

  /** Throws 503 when shutting down or full. */
  private admit(): void {
    if (this.closed) throw new HttpError(503, 'UNAVAILABLE', 'gateway is shutting down');
    if (this.clients.size >= this.maxClients) {
      throw new HttpError(503, 'TOO_MANY_CLIENTS', `too many event stream clients (max ${this.maxClients})`, { 'Retry-After': '5' });
    }
  }

  private async startSession(req: RouteContext['req'], res: ServerResponse, cleanup: () => void): Promise<Session> {
    try {
      return await createSession(req, res, {
        retry: SSE_RETRY_MS,
        keepAlive: this.heartbeatMs,
        headers: { 'X-Accel-Buffering': 'no' },
        serializer: serializeOnce,
        sanitizer: sanitizeLines,
      });
    } catch (err) {
      cleanup();
      throw err;
    }
  }

  /** Pushes one event to `session`, dropping the client when its unsent backlog grows too large. */
  private sender(session: Session, res: ServerResponse): (e: SessionEvent) => void {
    return (e: SessionEvent) => {
      if (!session.isConnected || res.destroyed) return;
      session.push(serialized(e), e.type, e.id);
      if (res.writableLength > this.maxBacklog) {
        this.log(`mcpscope: dropped a slow event stream client (${res.writableLength} bytes unsent > ${this.maxBacklog})`);
        res.destroy();
      }
    };
  }
}

/** Says (without an id, so the client's cursor stays meaningful) that events after `lastEventId` were lost. */
async function sendEventsLost(session: Session, lastEventId: string | undefined): Promise<void> {
  await session.batch((buffer) => {
    buffer
      .event('EventsLost')
      .data({ type: 'EventsLost', last_event_id: lastEventId, message: 'some events after last_event_id are no longer available; reload the state' })
      .dispatch();
  });
}

/** The head better-sse writes for a stream (its defaults plus ours), for answers to HEAD. */
const SSE_HEAD_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'private, no-cache, no-store, no-transform, must-revalidate, max-age=0',
  Pragma: 'no-cache',
  'X-Accel-Buffering': 'no',
};

// Every client receives the same event object: serialise it once, not once per client.
const serializedEvents = new WeakMap<SessionEvent, string>();
function serialized(e: SessionEvent): string {
  let text = serializedEvents.get(e);
  if (text === undefined) serializedEvents.set(e, (text = JSON.stringify(e)));
  return text;
}

/** Data pushed is already JSON text (see `serialized`); anything else is JSON-encoded. */
function serializeOnce(data: unknown): string {
  return typeof data === 'string' ? data : JSON.stringify(data);
}

/** better-sse's default sanitising, skipped for the common case of text without line breaks. */
function sanitizeLines(text: string): string {
  return /[\r\n]/.test(text) ? text.replace(/\r\n|\r/g, '\n').replace(/\n+$/, '') : text;
}

function parseQuery(query: URLSearchParams): string | undefined {
  for (const key of query.keys()) {
    if (key !== 'session_id') throw new HttpError(400, 'INVALID_ARGUMENT', `unknown query parameter ${JSON.stringify(key.slice(0, 40))}: only session_id`);
  }
  const values = query.getAll('session_id');
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new HttpError(400, 'INVALID_ARGUMENT', 'session_id given more than once');
  const parsed = SessionIdSchema.safeParse(values[0]);
  if (!parsed.success) throw new HttpError(400, 'INVALID_SESSION_ID', `invalid session_id: ${firstIssue(parsed.error)}`);
  return parsed.data;
}

function parseLastEventId(value: string | string[] | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 200 || !/^[\x21-\x7e]+$/.test(value)) {
    throw new HttpError(400, 'INVALID_ARGUMENT', 'invalid Last-Event-ID: expected an event id from this stream');
  }
  return value;
}
