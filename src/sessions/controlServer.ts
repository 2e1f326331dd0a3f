import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { chmod, unlink } from 'node:fs/promises';
import { z } from 'zod';
import { httpStatusOf } from '../core/errorStatus.js';
import { InspectorError, describeError, isInspectorError } from '../core/errors.js';
import { readBodyBytes } from '../core/http/readBody.js';
import type { SessionEvent } from '../core/events.js';
import { MAX_JSON_DEPTH, jsonTextTooDeep } from '../core/jsonDepth.js';
import type { EventBus } from './eventBus.js';
import { chooseSocketPath, ensurePrivateDir, liveDirPath, removeRegistration, writeRegistration } from './liveRegistration.js';
import type { LiveSession } from './liveSessionTypes.js';

/** A running control endpoint. */
export interface ControlServerHandle {
  readonly socketPath: string;
  /** Ends event streams, stops listening, removes the socket and the registration. Idempotent. */
  close(): Promise<void>;
}

const SignalBodySchema = z.object({ signal: z.string(), payload: z.unknown().optional() }).strict();
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Serves one live session on a Unix socket (a tiny HTTP server) and registers it under
 * `<tracesDir>/live/<id>.json`:
 * - `GET /state` → LiveSessionState JSON (`meta`, `live`: held items and waiters, and `gate` for a JSON-RPC gate);
 * - `GET /events[?since=<event id>]` → NDJSON: `{"state":…}` first and after every change, and
 *   `{"event":…}` for the session's events (replayed from the bus after `since`; LiveStateChanged among them), ending after SessionFinished;
 * - `POST /signal` `{signal, payload?}` → SignalResult, or `{error:{code,message}}` with a 4xx/5xx status
 *   (400 INVALID_ARGUMENT for a body over 64 KB, not JSON, or nested deeper than MAX_JSON_DEPTH).
 */
export async function startControlServer(session: LiveSession, options: { tracesDir: string; bus: EventBus; log?: (line: string) => void }): Promise<ControlServerHandle> {
  const { tracesDir, bus } = options;
  const log = options.log ?? (() => undefined);
  await ensurePrivateDir(liveDirPath(tracesDir));
  const socketPath = await chooseSocketPath(tracesDir, session.sessionId);
  const streams = new Set<ServerResponse>();
  const inflight = { posts: 0 };
  const server = createServer((req, res) => {
    if (req.method === 'POST') {
      inflight.posts += 1;
      res.once('close', () => (inflight.posts -= 1));
    }
    void route(session, bus, streams, req, res);
  });
  await listenOn(server, socketPath);
  server.on('error', (err) => log(`control socket ${socketPath}: ${describeError(err)}`));
  await chmod(socketPath, 0o600).catch(() => undefined);
  const meta = session.meta();
  await writeRegistration(tracesDir, { session_id: session.sessionId, pid: process.pid, socket: socketPath, title: meta.title, engine: meta.engine, started_at: meta.started_at });

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    close() {
      closing ??= (async () => {
        await removeRegistration(tracesDir, session.sessionId);
        for (const res of streams) res.end();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Let answers in flight (e.g. the `cancel` that finished the session) reach their callers.
        for (let i = 0; i < 50 && inflight.posts > 0; i++) await new Promise((r) => setTimeout(r, 20));
        server.closeAllConnections();
        await closed;
        await unlink(socketPath).catch(() => undefined);
      })();
      return closing;
    },
  };
}

async function listenOn(server: Server, socketPath: string): Promise<void> {
  await unlink(socketPath).catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function route(session: LiveSession, bus: EventBus, streams: Set<ServerResponse>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://control');
  try {
    if (req.method === 'GET' && url.pathname === '/state') return sendJson(res, 200, session.state());
    if (req.method === 'GET' && url.pathname === '/events') return streamEvents(session, bus, streams, req, res, url.searchParams.get('since') ?? undefined);
    if (req.method === 'POST' && url.pathname === '/signal') {
      const body = SignalBodySchema.safeParse(await readSignalBody(req));
      if (!body.success) throw new InspectorError('INVALID_ARGUMENT', `invalid signal body: expected {signal, payload?}`);
      return sendJson(res, 200, await session.signal(body.data.signal, body.data.payload));
    }
    sendJson(res, 404, { error: { code: 'INVALID_ARGUMENT', message: `no route ${req.method} ${url.pathname}` } });
  } catch (err) {
    if (!res.headersSent) sendError(res, err);
    else res.end();
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function sendError(res: ServerResponse, err: unknown): void {
  const e = isInspectorError(err) ? err : new InspectorError('INTERNAL', describeError(err));
  sendJson(res, httpStatusOf(e.code), { error: { code: e.code, message: e.message } });
}

/** The NDJSON stream of `GET /events`: state first and after every change, the session's events replayed after `since` and then live. */
function streamEvents(session: LiveSession, bus: EventBus, streams: Set<ServerResponse>, req: IncomingMessage, res: ServerResponse, since: string | undefined): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  streams.add(res);
  const line = (obj: unknown) => res.write(`${JSON.stringify(obj)}\n`);
  const onEvent = (event: SessionEvent) => {
    if (event.session_id !== session.sessionId) return;
    line({ event });
    if (event.type === 'SessionFinished') res.end();
  };
  line({ state: session.state() });
  const replay = bus.since(since);
  for (const e of replay.events) onEvent(e);
  if (res.writableEnded) return;
  const off = [bus.subscribe(onEvent), session.onChange(() => { if (!res.writableEnded) line({ state: session.state() }); })];
  const cleanup = () => { for (const f of off) f(); streams.delete(res); };
  res.on('close', cleanup);
  req.on('close', cleanup);
}

async function readSignalBody(req: IncomingMessage): Promise<unknown> {
  const bytes = await readBodyBytes(req, MAX_BODY_BYTES);
  if (bytes === undefined) throw new InspectorError('INVALID_ARGUMENT', `signal body over ${MAX_BODY_BYTES} bytes`);
  const text = bytes.toString('utf8');
  if (jsonTextTooDeep(text)) throw new InspectorError('INVALID_ARGUMENT', `signal body nests deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch {
    throw new InspectorError('INVALID_ARGUMENT', 'signal body is not JSON');
  }
}
