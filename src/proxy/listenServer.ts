import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { createAccessPolicy, newAccessToken } from '../core/accessPolicy.js';
import { InspectorError, describeError } from '../core/errors.js';
import { newSessionId } from '../core/ids.js';
import type { RequestGate } from '../sessions/gateTypes.js';
import { acceptNegotiatedVersion, readBody, reply } from './listenHttp.js';
import { createRelatedRouter, type RelatedRouter } from './relatedRouter.js';
import { startProxy, type OpenRecording, type ProxyHandle, type UpstreamSpec } from './startProxy.js';

export interface ListenServerOptions {
  /** Where to serve, e.g. `http://127.0.0.1:7801/mcp` (port 0 picks a free one). */
  listen: string;
  upstream: UpstreamSpec;
  /** Access token clients must send; default a random 256-bit one (see `token` on the handle). */
  token?: string;
  /** Extra accepted `Host` values (`name` or `name:port`), e.g. behind a reverse proxy. */
  allowedHosts?: string[];
  /** Extra accepted `Origin` values. */
  allowedOrigins?: string[];
  /** Title of each session; default the upstream command or URL. */
  title?: string;
  openRecording?: OpenRecording;
  /** Gate for every session's requests (ignored for sessions `steer` gives a gate). */
  gate?: RequestGate;
  /**
   * Makes each client session steerable: called with the session's fresh id before its proxy
   * starts; the returned gate gates that session, `attach` gets its started proxy, `close` runs
   * once the session has ended (awaited by the server's close()). Default: no live control.
   */
  steer?: (sessionId: string) => ListenSteering;
  stderr: Writable;
  /** Grace period when closing upstreams. Default 2000 ms. */
  graceMs?: number;
  /**
   * A client session with no open HTTP request (no POST in flight, no GET stream) for this long
   * is closed, and its upstream with it. Default {@link DEFAULT_LISTEN_IDLE_TIMEOUT_MS}; 0 never.
   */
  idleTimeoutMs?: number;
  /** Client sessions at once; past it `initialize` gets 503. Default {@link DEFAULT_LISTEN_MAX_SESSIONS}. */
  maxSessions?: number;
}

/** Default idle time after which a client session and its upstream are closed: 30 minutes (as `serve`'s /mcp). */
export const DEFAULT_LISTEN_IDLE_TIMEOUT_MS = 30 * 60_000;
/** Default cap on client sessions, each with its own upstream: 100 (as `serve`'s /mcp). */
export const DEFAULT_LISTEN_MAX_SESSIONS = 100;

/** The live control of one client session (what `steer` returns). */
export interface ListenSteering {
  gate: RequestGate;
  /** How this session is recorded (its own trace writer); default the server's `openRecording`. */
  openRecording?: OpenRecording;
  /** Registers the started session for live control. Should not reject (a rejection is logged). */
  attach(handle: ProxyHandle): Promise<unknown>;
  /** Ends the live control; idempotent. */
  close(): Promise<void>;
}

export interface ListenServerHandle {
  /** The URL clients connect to (port resolved). */
  url: string;
  token: string;
  /** Live proxy sessions, by MCP session id. */
  sessions(): ProxyHandle[];
  /** Stops accepting, ends every session gracefully. Idempotent. */
  close(): Promise<void>;
}

interface ClientSession {
  transport: StreamableHTTPServerTransport;
  proxy: ProxyHandle;
  clientIn: PassThrough;
  router: RelatedRouter;
  /** HTTP requests of this session still open (a GET stream counts), and when the last one ended. */
  active: number;
  lastSeen: number;
}

/**
 * Serves the proxied MCP server to clients over Streamable HTTP: each client session (one
 * `initialize`) gets its own proxy session, recorded on its own, and for a stdio upstream
 * its own process, its own fresh session id and, with `steer`, its own live control. Security as the gateway's: `Host` must be a loopback name (or the bound
 * address) with the bound port, `Origin` when present likewise, and every request must carry
 * the token (`Authorization: Bearer` or `X-Inspector-Token`, compared in constant time).
 * The client-facing side uses the SDK's StreamableHTTPServerTransport, so messages to and
 * from the client are re-serialised there (ids above 2^53 lose precision on that leg only).
 * Messages from the upstream that belong to a client request (progress, logs, sampling and
 * elicitation requests) go on that request's POST stream while it is open (see
 * {@link createRelatedRouter}). A session idle for `idleTimeoutMs` is closed with its upstream;
 * past `maxSessions` a new `initialize` gets 503.
 */
export async function startListenServer(options: ListenServerOptions): Promise<ListenServerHandle> {
  let url: URL;
  try {
    url = new URL(options.listen);
  } catch {
    throw new InspectorError('INVALID_ARGUMENT', `--listen expects a URL like http://127.0.0.1:7801/mcp, got ${JSON.stringify(options.listen)}`);
  }
  if (url.protocol !== 'http:') throw new InspectorError('INVALID_ARGUMENT', '--listen supports http:// only');
  const token = options.token ?? newAccessToken();
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const path = url.pathname;
  const sessions = new Map<string, ClientSession>();
  const idleMs = options.idleTimeoutMs ?? DEFAULT_LISTEN_IDLE_TIMEOUT_MS;
  const maxSessions = options.maxSessions ?? DEFAULT_LISTEN_MAX_SESSIONS;
  /** Sessions being opened (upstream starting), counted against the cap. */
  let opening = 0;
  let stopped = false;
  /** Sessions still winding down (their steering closing), awaited by close(). */
  const ending = new Set<Promise<void>>();
  const log = (line: string): void => {
    options.stderr.write(`mcpscope proxy: ${line}\n`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`listen: ${describeError(err)}`);
      if (!res.headersSent) reply(res, 500, -32603, 'internal error');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(url.port || 80), host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const policy = createAccessPolicy({ host, port, token, ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}), ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}) });

  const sweep =
    idleMs > 0
      ? setInterval(() => {
          const now = Date.now();
          for (const session of sessions.values()) {
            if (session.active > 0 || now - session.lastSeen < idleMs) continue;
            // Reset first, so a slow close is not started twice by the next sweep.
            session.lastSeen = Number.POSITIVE_INFINITY;
            log(`session ${session.proxy.sessionId}: idle for ${+(idleMs / 1000).toFixed(1)} s, closing it and its upstream`);
            void session.proxy.close();
          }
        }, Math.max(10, Math.min(idleMs / 2, 60_000)))
      : undefined;
  sweep?.unref();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reqPath = (req.url ?? '/').split('?')[0];
    if (!policy.hostAllowed(req.headers)) return reply(res, 403, -32000, 'host not allowed');
    if (!policy.originAllowed(req.headers)) return reply(res, 403, -32000, 'origin not allowed');
    const verdict = policy.checkToken(req.headers);
    // 403, not 401: RFC 9110 makes a 401 carry a WWW-Authenticate challenge, and MCP clients
    // answer any 401 with OAuth discovery (the Inspector CLI then fails with "Interactive OAuth
    // requires a TTY", hiding this message). No challenge can be met here: the token is fixed at
    // start, so a 403 with the instructions in a JSON-RPC error is what clients show as is.
    if (verdict !== 'ok') return reply(res, 403, -32000, `${verdict} access token: pass the token printed at start as Authorization: Bearer <token> (or X-Inspector-Token: <token>)`);
    if (reqPath !== path) return reply(res, 404, -32000, `not found: the MCP endpoint is ${path}`);
    if (stopped) return reply(res, 503, -32000, 'the proxy is shutting down');
    const sid = req.headers['mcp-session-id'];
    if (typeof sid === 'string') {
      const session = sessions.get(sid);
      if (!session) return reply(res, 404, -32001, 'session not found');
      acceptNegotiatedVersion(req, session.router.protocolVersion);
      session.active++;
      res.once('close', () => {
        session.active--;
        session.lastSeen = Date.now();
      });
      if (req.method !== 'POST') return session.transport.handleRequest(req, res);
      const parsed = await readJson(req, res);
      if (parsed === undefined) return;
      session.router.posted(parsed.value, res);
      await session.transport.handleRequest(req, res, parsed.value);
      return;
    }
    if (req.method !== 'POST') return reply(res, 400, -32000, 'bad request: no valid session id');
    const parsed = await readJson(req, res);
    if (parsed === undefined) return;
    const isInit = (m: unknown): boolean => (m as { method?: unknown } | null)?.method === 'initialize';
    if (!(Array.isArray(parsed.value) ? parsed.value.some(isInit) : isInit(parsed.value))) return reply(res, 400, -32000, 'bad request: no valid session id');
    if (sessions.size + opening >= maxSessions) {
      return reply(res, 503, -32000, `too many sessions (max ${maxSessions}): end one with DELETE, or wait until idle ones are closed`);
    }
    // Counted until the transport has registered the session (or refused the initialize).
    opening++;
    try {
      const session = await openSession();
      session.active++;
      res.once('close', () => {
        session.active--;
        session.lastSeen = Date.now();
      });
      session.router.posted(parsed.value, res);
      await session.transport.handleRequest(req, res, parsed.value);
      if (session.transport.sessionId === undefined) await session.proxy.close();
    } finally {
      opening--;
    }
  }

  /** Reads a JSON body; on failure answers the request and resolves undefined. */
  async function readJson(req: IncomingMessage, res: ServerResponse): Promise<{ value: unknown } | undefined> {
    let body: string;
    try {
      body = await readBody(req, 4 * 1024 * 1024);
    } catch (err) {
      reply(res, 413, -32000, describeError(err));
      return undefined;
    }
    try {
      return { value: JSON.parse(body) as unknown };
    } catch {
      reply(res, 400, -32700, 'Parse error');
      return undefined;
    }
  }

  async function openSession(): Promise<ClientSession> {
    const clientIn = new PassThrough();
    const router = createRelatedRouter();
    let transportRef: StreamableHTTPServerTransport | undefined;
    const clientOut = new Writable({
      write(chunk: Buffer, _enc, cb) {
        let message: JSONRPCMessage;
        try {
          message = JSON.parse(chunk.toString('utf8')) as JSONRPCMessage;
        } catch (err) {
          cb();
          log(`listen: undeliverable message: ${describeError(err)}`);
          return;
        }
        const related = router.toClient(message);
        transportRef?.send(message, related === undefined ? undefined : { relatedRequestId: related }).catch((err: unknown) => log(`listen: ${describeError(err)}`));
        cb();
      },
    });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, session);
      },
    });
    transportRef = transport;
    transport.onmessage = (message) => {
      router.fromClient(message);
      clientIn.write(`${JSON.stringify(message)}\n`);
    };
    transport.onclose = () => {
      clientIn.end();
    };
    await transport.start();
    const sessionId = newSessionId();
    const steering = options.steer?.(sessionId);
    const gate = steering?.gate ?? options.gate;
    let proxy: ProxyHandle;
    try {
      proxy = await startProxy({
        upstream: options.upstream,
        clientIn,
        clientOut,
        stderr: options.stderr,
        sessionId,
        clientTransport: 'streamable-http',
        ...(options.title !== undefined ? { title: options.title } : {}),
        ...((steering?.openRecording ?? options.openRecording) ? { openRecording: (steering?.openRecording ?? options.openRecording)! } : {}),
        ...(gate ? { gate } : {}),
        ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
      });
    } catch (err) {
      await steering?.close().catch(() => undefined);
      throw err;
    }
    await steering?.attach(proxy).catch((err: unknown) => log(`session ${sessionId} cannot be steered: ${describeError(err)}`));
    const session: ClientSession = { transport, proxy, clientIn, router, active: 0, lastSeen: Date.now() };
    const ended = proxy.done.then(async (result) => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
      log(`session ${proxy.sessionId} ${result.status}${result.reason ? `: ${result.reason}` : ''}`);
      await steering?.close().catch((err: unknown) => log(`session ${sessionId}: ${describeError(err)}`));
      await transport.close().catch(() => {});
    });
    ending.add(ended);
    void ended.finally(() => ending.delete(ended));
    log(`session ${proxy.sessionId} started`);
    return session;
  }

  let closing: Promise<void> | undefined;
  return {
    url: `http://${url.hostname}:${port}${path}`,
    token,
    sessions: () => [...sessions.values()].map((s) => s.proxy),
    close(): Promise<void> {
      closing ??= (async () => {
        stopped = true;
        if (sweep) clearInterval(sweep);
        const all = [...sessions.values()];
        await Promise.all(all.map((s) => s.proxy.close()));
        await Promise.all(all.map((s) => s.transport.close().catch(() => {})));
        await Promise.all([...ending]);
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}
