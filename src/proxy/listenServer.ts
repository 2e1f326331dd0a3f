import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { createAccessPolicy, newAccessToken } from '../core/accessPolicy.js';
import { InspectorError, describeError } from '../core/errors.js';
import { newSessionId } from '../core/ids.js';
import type { RequestGate } from '../sessions/requestGate.js';
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
}

/** The live control of one client session (what `steer` returns). */
export interface ListenSteering {
  gate: RequestGate;
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
}

/**
 * Serves the proxied MCP server to clients over Streamable HTTP: each client session (one
 * `initialize`) gets its own proxy session, recorded on its own, and for a stdio upstream
 * its own process, its own fresh session id and, with `steer`, its own live control. Security as the gateway's: `Host` must be a loopback name (or the bound
 * address) with the bound port, `Origin` when present likewise, and every request must carry
 * the token (`Authorization: Bearer` or `X-Inspector-Token`, compared in constant time).
 * The client-facing side uses the SDK's StreamableHTTPServerTransport, so messages to and
 * from the client are re-serialised there (ids above 2^53 lose precision on that leg only).
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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reqPath = (req.url ?? '/').split('?')[0];
    if (!policy.hostAllowed(req.headers)) return reply(res, 403, -32000, 'host not allowed');
    if (!policy.originAllowed(req.headers)) return reply(res, 403, -32000, 'origin not allowed');
    if (policy.checkToken(req.headers) !== 'ok') {
      res.setHeader('WWW-Authenticate', 'Bearer realm="mcpscope"');
      return reply(res, 401, -32000, 'missing or invalid access token: send Authorization: Bearer <token> or X-Inspector-Token');
    }
    if (reqPath !== path) return reply(res, 404, -32000, `not found: the MCP endpoint is ${path}`);
    const sid = req.headers['mcp-session-id'];
    if (typeof sid === 'string') {
      const session = sessions.get(sid);
      if (!session) return reply(res, 404, -32001, 'session not found');
      await session.transport.handleRequest(req, res);
      return;
    }
    if (req.method !== 'POST') return reply(res, 400, -32000, 'bad request: no valid session id');
    const body = await readBody(req, 4 * 1024 * 1024);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return reply(res, 400, -32700, 'Parse error');
    }
    const isInit = (m: unknown): boolean => (m as { method?: unknown } | null)?.method === 'initialize';
    if (!(Array.isArray(parsed) ? parsed.some(isInit) : isInit(parsed))) return reply(res, 400, -32000, 'bad request: no valid session id');
    const session = await openSession();
    await session.transport.handleRequest(req, res, parsed);
    if (session.transport.sessionId === undefined) await session.proxy.close();
  }

  async function openSession(): Promise<ClientSession> {
    const clientIn = new PassThrough();
    const progressOwners = new Map<string | number, string | number>();
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
        // Progress belongs on the stream of the request that asked for it.
        const token = (message as { method?: string; params?: { progressToken?: string | number } }).params?.progressToken;
        const related = token === undefined ? undefined : progressOwners.get(token);
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
      const m = message as { id?: string | number; method?: string; params?: { _meta?: { progressToken?: string | number } } };
      const token = m.params?._meta?.progressToken;
      if (m.method !== undefined && m.id !== undefined && token !== undefined) progressOwners.set(token, m.id);
      if (m.method === undefined && m.id !== undefined) progressOwners.delete(m.id);
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
        ...(options.openRecording ? { openRecording: options.openRecording } : {}),
        ...(gate ? { gate } : {}),
        ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
      });
    } catch (err) {
      await steering?.close().catch(() => undefined);
      throw err;
    }
    await steering?.attach(proxy).catch((err: unknown) => log(`session ${sessionId} cannot be steered: ${describeError(err)}`));
    const session: ClientSession = { transport, proxy, clientIn };
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

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new InspectorError('INVALID_ARGUMENT', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}


function reply(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
