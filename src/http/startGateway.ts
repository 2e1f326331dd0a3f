import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { InspectorError } from '../core/errors.js';
import { firstIssue } from '../core/zodIssues.js';
import type { SessionControl } from '../sessions/sessionControl.js';
import { createSessionCatalog, type SessionCatalog, type SessionIndexLike } from '../catalog/sessionCatalog.js';
import { handleRequest } from './handleRequest.js';
import { createRouter } from './router.js';
import { controlRoutes } from './routes/controlRoutes.js';
import { eventsRoute, type SseOptions } from './routes/eventsRoute.js';
import { healthRoute } from './routes/healthRoute.js';
import { mcpRoute, type McpServerFactory } from './routes/mcpRoute.js';
import { otlpRoute } from './routes/otlpRoute.js';
import { createOtlpIngest, type OtlpIngestOptions } from '../otel/otlpIngest.js';
import { sessionRoute, sessionsRoute } from './routes/sessionsRoute.js';
import { traceRoute } from './routes/traceRoute.js';
import { signInRoutes } from './routes/signInRoutes.js';
import { uiRoutes } from './routes/uiRoutes.js';
import { createSignIn } from './signIn.js';
import { defaultUiDir, loadUiBundle } from './uiAssets.js';
import { createSecurity, isLoopbackHost, newAccessToken } from './security.js';

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  tracesDir: string;
  /** Address to bind. Default `127.0.0.1`. A non-loopback address requires `token` and then every route needs it. */
  host?: string;
  /** Port; 0 picks a free one. Default 7800. */
  port?: number;
  /** Access token (at least 16 characters). Default: 256 random bits, fresh at each start. */
  token?: string;
  /** Extra `Host` values accepted (`name` or `name:port`). */
  allowedHosts?: string[];
  /** Extra `Origin` values accepted; only these get CORS headers. */
  allowedOrigins?: string[];
  /** Live sessions: its `bus` feeds `/events`, its `signal` serves the control routes. */
  control?: SessionControl;
  /** The sessions `/sessions` lists and the control routes steer. Default: a catalog over `index` and `control`. */
  catalog?: SessionCatalog;
  /** Recorded sessions, when no `catalog` is given (default: none, so only live sessions are listed). */
  index?: SessionIndexLike;
  /** Builds an inspector MCP server per `/mcp` session; without it `/mcp` answers 503. */
  createMcpServer?: McpServerFactory;
  sse?: SseOptions;
  /** Idle time after which an `/mcp` session is closed. Default 30 minutes. */
  mcpIdleTimeoutMs?: number;
  /** Limits on how long a client may take to send a request (see {@link GatewayTimeouts}). */
  timeouts?: Partial<GatewayTimeouts>;
  /**
   * OTLP/HTTP trace ingest at `POST /v1/traces` (token required): `false` turns it off; else its
   * body limit (default 4 MiB) and the quiet time after which an ingested session completes (30 s).
   */
  otlp?: false | { bodyLimit?: number; idleMs?: number; exporters?: OtlpIngestOptions['exporters'] };
  /** Directory of the built browser UI (`index.html`, `manifest.json`, `assets/`). Default: the package's `dist/ui`. */
  uiDir?: string;
  /** One line per notable event (start URL, dropped clients, unexpected errors); stderr in the CLI. */
  log: (line: string) => void;
}

/** A running gateway. */
export interface GatewayHandle {
  /** Base URL, e.g. `http://127.0.0.1:7800` (no token). */
  url: string;
  token: string;
  /** A fresh one-time sign-in link for a browser, `<url>/#code=<code>` (the token is in no URL). */
  signInUrl(): string;
  port: number;
  /** Ends event streams and MCP sessions, then stops the server. Idempotent. */
  close(): Promise<void>;
}

/**
 * How long a client may take to send, never to receive: responses (event streams, downloads)
 * have no time limit, so long-lived `/events` streams and slow Range downloads are unaffected.
 */
export interface GatewayTimeouts {
  /**
   * A connection must deliver a complete request head within this time of opening (or of
   * starting a later request on it); else it gets 408 and is closed. This ends connections that
   * send nothing at all. Default 10 s.
   */
  headersMs: number;
  /** A request, body included, must have arrived within this time. Default 60 s. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this time. Default 5 s. */
  keepAliveMs: number;
}

/** The default {@link GatewayTimeouts}. */
export const DEFAULT_GATEWAY_TIMEOUTS: Readonly<GatewayTimeouts> = { headersMs: 10_000, requestMs: 60_000, keepAliveMs: 5_000 };

const OptionsSchema = z.object({
  tracesDir: z.string().min(1),
  host: z.string().min(1).max(255).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(7800),
  token: z.string().min(16, 'token must be at least 16 characters').max(512).regex(/^[\x21-\x7e]+$/, 'token must be printable ASCII without spaces').optional(),
  allowedHosts: z.array(z.string().min(1).max(300)).max(100).optional(),
  allowedOrigins: z.array(z.string().min(1).max(300)).max(100).optional(),
  sse: z.object({ heartbeatMs: z.number().int().min(10).optional(), maxClients: z.number().int().min(1).optional(), maxBacklogBytes: z.number().int().min(1024).optional() }).optional(),
  mcpIdleTimeoutMs: z.number().int().min(20).optional(),
  timeouts: z
    .object({ headersMs: z.number().int().min(10).max(3_600_000), requestMs: z.number().int().min(10).max(3_600_000), keepAliveMs: z.number().int().min(10).max(3_600_000) })
    .partial()
    .optional(),
});

/**
 * Starts the HTTP gateway (routes under `/_inspector`, `/mcp`, the page at `/`). Every request
 * first passes the check for repeated singleton fields such as two `Host` lines (400), then the
 * Host/Origin check (403), then routing (404/405; HEAD wherever GET), then the token check where
 * needed (401). Clients that are slow to send a request are cut off (see {@link GatewayTimeouts}). Rejects with INVALID_ARGUMENT for bad options (including a non-loopback host
 * without an explicit token) and UNAVAILABLE when the port is taken. Logs a one-time sign-in
 * link for a browser (`<url>/#code=...`) and, on its own line, the token for API clients.
 */
export async function startGateway(options: GatewayOptions): Promise<GatewayHandle> {
  const config = checkOptions(options);
  const { host, port, tracesDir, token } = config;
  const { log } = options;
  const parts = startParts(options, tracesDir);
  const server = createGatewayServer(config.timeouts);
  await listen(server, port, host).catch(async (err: NodeJS.ErrnoException) => {
    await parts.close();
    if (err.code === 'EADDRINUSE') throw new InspectorError('UNAVAILABLE', `port ${port} on ${host} is already in use`, { cause: err });
    throw new InspectorError('UNAVAILABLE', `cannot listen on ${host}:${port}: ${err.message}`, { cause: err });
  });
  const boundPort = (server.address() as AddressInfo).port;
  const security = createSecurity({ host, port: boundPort, token, ...pick(config, 'allowedHosts', 'allowedOrigins') });
  const signIn = createSignIn({ port: boundPort });
  const bracketHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const url = `http://${bracketHost}:${boundPort}`;
  const signInUrl = () => `${url}/#code=${signIn.newCode()}`;

  const route = createRouter([
    ...uiRoutes(parts.ui),
    ...signInRoutes({ signIn, security, freshLink: signInUrl, log }),
    healthRoute(),
    sessionsRoute(parts.catalog),
    sessionRoute(parts.catalog),
    traceRoute({ tracesDir, log }),
    parts.events.route,
    ...controlRoutes(parts.catalog),
    parts.mcp.route,
    otlpRoute(parts.ingest, options.otlp ? options.otlp.bodyLimit : undefined),
  ]);
  const signedIn = (req: IncomingMessage) => signIn.hasSession(req);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void handleRequest(req, res, security, signedIn, route, log);
  });

  // The token goes to API clients only; a browser signs in with the one-time code (a fragment:
  // never sent in a request line, and void once used, so history and logs keep nothing usable).
  log(`mcpscope: gateway at ${signInUrl()}`);
  log(`mcpscope: API token: ${token} (send as Authorization: Bearer <token>; the link above signs a browser in once)`);
  if (security.tokenEverywhere) log(`mcpscope: ${host} is not a loopback address: every route requires the access token`);

  let closing: Promise<void> | undefined;
  return {
    url,
    token,
    signInUrl,
    port: boundPort,
    close() {
      closing ??= parts.close(server);
      return closing;
    },
  };
}

/** The options checked, with defaults and the token; throws INVALID_ARGUMENT. */
function checkOptions(options: GatewayOptions) {
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) throw new InspectorError('INVALID_ARGUMENT', `invalid gateway option ${firstIssue(parsed.error)}`);
  const { host } = parsed.data;
  if (!isLoopbackHost(host) && options.token === undefined) {
    throw new InspectorError('INVALID_ARGUMENT', `refusing to bind ${host}: a non-loopback address needs an explicit access token (--token or MCPSCOPE_TOKEN)`);
  }
  const timeouts = { ...DEFAULT_GATEWAY_TIMEOUTS, ...parsed.data.timeouts };
  timeouts.requestMs = Math.max(timeouts.requestMs, timeouts.headersMs);
  return { ...parsed.data, token: options.token ?? newAccessToken(), timeouts };
}

/** What the routes serve besides the router: made before listening, closed with the gateway (or when it cannot listen). */
function startParts(options: GatewayOptions, tracesDir: string) {
  const { control, log } = options;
  // A catalog made here (none was given) is closed with the gateway.
  const ownCatalog = options.catalog ? undefined : createSessionCatalog({ tracesDir, ...(control ? { control } : {}), index: options.index ?? NO_RECORDED_SESSIONS, watch: false, log });
  const events = eventsRoute(control?.bus, options.sse ?? {}, log);
  const mcp = mcpRoute(options.createMcpServer, { ...(options.mcpIdleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.mcpIdleTimeoutMs }), log });
  const ingest = options.otlp === false ? undefined : createOtlpIngest({ tracesDir, ...(control ? { bus: control.bus } : {}), ...(options.otlp?.idleMs !== undefined ? { idleMs: options.otlp.idleMs } : {}), ...(options.otlp?.exporters ? { exporters: options.otlp.exporters } : {}), log });
  const ui = loadUiBundle(options.uiDir ?? defaultUiDir());
  if ('missing' in ui) log(`mcpscope: browser UI unavailable: ${ui.missing}`);
  return {
    catalog: options.catalog ?? ownCatalog!,
    events,
    mcp,
    ingest,
    ui,
    /** Ends streams and sessions; with `server`, stops it too before the ingest closes. */
    async close(server?: Server): Promise<void> {
      events.close();
      await mcp.close();
      await ownCatalog?.close();
      if (server) await stopServer(server);
      await ingest?.close();
    },
  };
}

function createGatewayServer(timeouts: GatewayTimeouts): Server {
  return createServer({
    maxHeaderSize: 16 * 1024,
    requestTimeout: timeouts.requestMs,
    headersTimeout: timeouts.headersMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // node:http checks the two limits above this often; headersTimeout counts from the moment a
    // connection opens (or a later request starts), so it also ends connections that send nothing.
    connectionsCheckingInterval: Math.max(5, Math.min(30_000, Math.floor(timeouts.headersMs / 4))),
  });
}

function stopServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  });
}

const NO_RECORDED_SESSIONS: SessionIndexLike = { list: async () => [], get: async () => undefined };

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function pick<T extends object, K extends keyof T>(obj: T, ...keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}
