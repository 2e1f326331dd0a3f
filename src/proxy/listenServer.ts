import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createAccessPolicy, newAccessToken, type AccessPolicy } from '../core/accessPolicy.js';
import { InspectorError, describeError } from '../core/errors.js';
import { replyJsonRpcError as reply } from '../core/http/jsonRpcReply.js';
import { repeatedSingleField } from '../core/http/repeatedFields.js';
import { StreamableSessions, type SessionActivity } from '../core/http/streamableSessions.js';
import { newSessionId } from '../core/ids.js';
import type { RequestGate } from '../sessions/gateTypes.js';
import { acceptNegotiatedVersion, readJson } from './listenHttp.js';
import { ClientOutlets } from './clientOutlets.js';
import { createClientSide } from './listenClientSide.js';
import { DEFAULT_MAX_LINE_BYTES } from './lineFramer.js';
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
  /**
   * Largest request body (one message or a batch) and, for a stdio upstream, largest line from
   * it, in bytes; a larger body gets 413. Default {@link DEFAULT_MAX_LINE_BYTES}, as the stdio proxy.
   */
  maxLineBytes?: number;
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

interface ClientSession extends SessionActivity {
  transport: StreamableHTTPServerTransport;
  proxy: ProxyHandle;
  clientIn: PassThrough;
  router: RelatedRouter;
  outlets: ClientOutlets;
}

/**
 * Serves the proxied MCP server to clients over Streamable HTTP: each client session (one
 * `initialize`) gets its own proxy session, recorded on its own, and for a stdio upstream
 * its own process, its own fresh session id and, with `steer`, its own live control. Security as the
 * gateway's: a repeated `Host`, `Authorization`, `X-Inspector-Token`, `Origin`, `Content-Type` or
 * `Content-Length` is refused with 400, `Host` must be a loopback name (or the bound
 * address) with the bound port, `Origin` when present likewise, and every request must carry
 * the token (`Authorization: Bearer` or `X-Inspector-Token`, compared in constant time).
 * The client-facing side uses the SDK's StreamableHTTPServerTransport, so messages to and
 * from the client are re-serialised there (ids above 2^53 lose precision on that leg only).
 * Messages from the upstream that belong to a client request (progress, logs, sampling and
 * elicitation requests) go on that request's POST stream while it is open (see
 * {@link createRelatedRouter}), and only as fast as the client reads them (see
 * {@link createClientSide}). A body over `maxLineBytes - 1` bytes gets 413. A session idle for
 * `idleTimeoutMs` is closed with its upstream; past `maxSessions` a new `initialize` gets 503.
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
  let listener: ListenServer | undefined;
  const server = createServer((req, res) => {
    listener!.handle(req, res).catch((err: unknown) => {
      listener!.log(`listen: ${describeError(err)}`);
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
  listener = new ListenServer(options, server, policy, url.pathname);
  const running = listener;
  return {
    url: `http://${url.hostname}:${port}${url.pathname}`,
    token,
    sessions: () => running.sessions.values().map((s) => s.proxy),
    close: () => running.close(),
  };
}

class ListenServer {
  readonly sessions: StreamableSessions<ClientSession>;
  private stopped = false;
  /** Sessions still winding down (their steering closing), awaited by close(). */
  private readonly ending = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;
  private readonly maxLineBytes: number;

  constructor(
    private readonly options: ListenServerOptions,
    private readonly server: Server,
    private readonly policy: AccessPolicy,
    private readonly path: string,
  ) {
    const idleMs = options.idleTimeoutMs ?? DEFAULT_LISTEN_IDLE_TIMEOUT_MS;
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.sessions = new StreamableSessions<ClientSession>({
      idleMs,
      maxSessions: options.maxSessions ?? DEFAULT_LISTEN_MAX_SESSIONS,
      onIdle: (session) => {
        this.log(`session ${session.proxy.sessionId}: idle for ${+(idleMs / 1000).toFixed(1)} s, closing it and its upstream`);
        void session.proxy.close();
      },
    });
  }

  log(line: string): void {
    this.options.stderr.write(`mcpscope proxy: ${line}\n`);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const repeated = repeatedSingleField(req.rawHeaders);
    if (repeated !== undefined) return reply(res, 400, -32600, `bad request: header ${repeated} given more than once`, { Connection: 'close' });
    const refusal = this.refusal(req);
    if (refusal) return reply(res, refusal[0], refusal[1], refusal[2]);
    const sid = req.headers['mcp-session-id'];
    if (typeof sid === 'string') {
      const session = this.sessions.get(sid);
      if (!session) return reply(res, 404, -32001, 'session not found');
      acceptNegotiatedVersion(req, session.router.protocolVersion);
      this.sessions.hold(session, res);
      if (req.method !== 'POST') {
        if (req.method === 'GET') session.outlets.opened(res);
        return session.transport.handleRequest(req, res);
      }
      const parsed = await readJson(req, res, this.maxLineBytes);
      if (parsed === undefined) return;
      session.router.posted(parsed.value, res);
      session.outlets.posted(parsed.value, res);
      await session.transport.handleRequest(req, res, parsed.value);
      return;
    }
    if (req.method !== 'POST') return reply(res, 400, -32000, 'bad request: no valid session id');
    const parsed = await readJson(req, res, this.maxLineBytes);
    if (parsed === undefined) return;
    const isInit = (m: unknown): boolean => (m as { method?: unknown } | null)?.method === 'initialize';
    if (!(Array.isArray(parsed.value) ? parsed.value.some(isInit) : isInit(parsed.value))) return reply(res, 400, -32000, 'bad request: no valid session id');
    // Counted until the transport has registered the session (or refused the initialize).
    const release = this.sessions.reserve();
    if (!release) return reply(res, 503, -32000, `too many sessions (max ${this.options.maxSessions ?? DEFAULT_LISTEN_MAX_SESSIONS}): end one with DELETE, or wait until idle ones are closed`);
    try {
      const session = await this.openSession();
      this.sessions.hold(session, res);
      session.router.posted(parsed.value, res);
      session.outlets.posted(parsed.value, res);
      await session.transport.handleRequest(req, res, parsed.value);
      if (session.transport.sessionId === undefined) await session.proxy.close();
    } finally {
      release();
    }
  }

  /** Why a request may not reach a session (status, JSON-RPC code, message), or undefined. */
  private refusal(req: IncomingMessage): [number, number, string] | undefined {
    if (!this.policy.hostAllowed(req.headers)) return [403, -32000, 'host not allowed'];
    if (!this.policy.originAllowed(req.headers)) return [403, -32000, 'origin not allowed'];
    const verdict = this.policy.checkToken(req.headers);
    // 403, not 401: RFC 9110 makes a 401 carry a WWW-Authenticate challenge, and MCP clients
    // answer any 401 with OAuth discovery (the Inspector CLI then fails with "Interactive OAuth
    // requires a TTY", hiding this message). No challenge can be met here: the token is fixed at
    // start, so a 403 with the instructions in a JSON-RPC error is what clients show as is.
    if (verdict !== 'ok') return [403, -32000, `${verdict} access token: pass the token printed at start as Authorization: Bearer <token> (or X-Inspector-Token: <token>)`];
    if ((req.url ?? '/').split('?')[0] !== this.path) return [404, -32000, `not found: the MCP endpoint is ${this.path}`];
    if (this.stopped) return [503, -32000, 'the proxy is shutting down'];
    return undefined;
  }

  private async openSession(): Promise<ClientSession> {
    const options = this.options;
    const clientIn = new PassThrough();
    const router = createRelatedRouter();
    const outlets = new ClientOutlets();
    let session: ClientSession | undefined;
    const { transport, clientOut } = createClientSide({ router, outlets, clientIn, register: (id) => this.sessions.set(id, session!), log: (line) => this.log(line) });
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
        maxLineBytes: this.maxLineBytes,
      });
    } catch (err) {
      await steering?.close().catch(() => undefined);
      throw err;
    }
    await steering?.attach(proxy).catch((err: unknown) => this.log(`session ${sessionId} cannot be steered: ${describeError(err)}`));
    session = { transport, proxy, clientIn, router, outlets, active: 0, lastSeen: Date.now() };
    const ended = proxy.done.then(async (result) => {
      if (transport.sessionId !== undefined) this.sessions.delete(transport.sessionId);
      this.log(`session ${proxy.sessionId} ${result.status}${result.reason ? `: ${result.reason}` : ''}`);
      await steering?.close().catch((err: unknown) => this.log(`session ${sessionId}: ${describeError(err)}`));
      await transport.close().catch(() => {});
    });
    this.ending.add(ended);
    void ended.finally(() => this.ending.delete(ended));
    this.log(`session ${proxy.sessionId} started`);
    return session;
  }

  /** Stops accepting, ends every session gracefully. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopped = true;
      this.sessions.stop();
      const all = this.sessions.values();
      await Promise.all(all.map((s) => s.proxy.close()));
      await Promise.all(all.map((s) => s.transport.close().catch(() => {})));
      await Promise.all([...this.ending]);
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
    })();
    return this.closing;
  }
}
