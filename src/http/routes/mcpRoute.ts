import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { replyJsonRpcError } from '../../core/http/jsonRpcReply.js';
import { StreamableSessions, type SessionActivity } from '../../core/http/streamableSessions.js';
import { HttpError } from '../errors.js';
import { readJsonBody } from '../readJsonBody.js';
import type { Route, RouteContext } from '../router.js';

/** Builds one inspector MCP server per MCP session; `close` releases it. */
export type McpServerFactory = () => { server: McpServer; close(): Promise<void> };

/** Default idle time after which an MCP session without open requests is closed: 30 minutes. */
export const DEFAULT_MCP_IDLE_TIMEOUT_MS = 30 * 60_000;
/** Concurrent MCP sessions past which `initialize` gets 503. */
export const MAX_MCP_SESSIONS = 100;
const MAX_MCP_BODY = 4 * 1024 * 1024;

interface McpEntry extends SessionActivity {
  id?: string;
  transport: StreamableHTTPServerTransport;
  close(): Promise<void>;
  /** Gives back the entry's place in the table while it is being opened. */
  release(): void;
}

/** The `/mcp` route and the means to end its sessions. */
export interface McpRoute {
  route: Route;
  sessionCount(): number;
  /** Closes every MCP session and stops the idle sweep. Idempotent. */
  close(): Promise<void>;
}

/**
 * `/mcp`: the inspector MCP server over Streamable HTTP (stateful: one transport and one server
 * from `factory` per MCP session). POST `initialize` without `Mcp-Session-Id` opens a session;
 * other requests must name a live one (unknown id -> 404). DELETE closes a session, and so
 * does `idleTimeoutMs` without requests (default 30 min; open streams count as activity).
 */
export function mcpRoute(factory: McpServerFactory | undefined, options: { idleTimeoutMs?: number; log: (line: string) => void }): McpRoute {
  const sessions: StreamableSessions<McpEntry> = new StreamableSessions<McpEntry>({
    idleMs: options.idleTimeoutMs ?? DEFAULT_MCP_IDLE_TIMEOUT_MS,
    maxSessions: MAX_MCP_SESSIONS,
    onIdle: (entry) => {
      options.log(`mcpscope: closing idle MCP session ${entry.id}`);
      void dispose(entry);
    },
  });
  /** Entries whose initialize has not made them a session yet: closed with the route. */
  const pending = new Set<McpEntry>();
  let closed = false;

  async function dispose(entry: McpEntry): Promise<void> {
    if (entry.id !== undefined) sessions.delete(entry.id);
    pending.delete(entry);
    entry.release();
    const close = entry.close;
    entry.close = async () => {};
    await entry.transport.close().catch(() => undefined);
    await close().catch((err: unknown) => options.log(`mcpscope: closing an MCP server failed: ${err instanceof Error ? err.message : String(err)}`));
  }

  async function open(): Promise<McpEntry> {
    if (!factory) throw new HttpError(503, 'UNAVAILABLE', 'no MCP server is configured on this gateway');
    const release = sessions.reserve();
    if (!release) throw new HttpError(503, 'UNAVAILABLE', `too many MCP sessions (max ${MAX_MCP_SESSIONS})`);
    let built: ReturnType<McpServerFactory>;
    try {
      built = factory();
    } catch (err) {
      release();
      throw err;
    }
    const entry = newEntry(built, release, (initialized) => {
      pending.delete(initialized);
      sessions.set(initialized.id!, initialized);
      initialized.release();
    }, dispose);
    pending.add(entry);
    await built.server.connect(entry.transport);
    return entry;
  }

  const handle = async (entry: McpEntry, req: RouteContext['req'], res: ServerResponse, body?: unknown) => {
    sessions.hold(entry, res);
    await entry.transport.handleRequest(req, res, body);
  };

  const handler = async ({ req, res }: RouteContext): Promise<void> => {
    if (closed) throw new HttpError(503, 'UNAVAILABLE', 'gateway is shutting down');
    const header = req.headers['mcp-session-id'];
    if (typeof header === 'string') {
      const entry = sessions.get(header);
      if (!entry) return replyJsonRpcError(res, 404, -32001, 'Session not found');
      return handle(entry, req, res);
    }
    if (req.method !== 'POST') return replyJsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    const body = await readJsonBody(req, { limit: MAX_MCP_BODY });
    const initializing = Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
    if (!initializing) return replyJsonRpcError(res, 400, -32000, 'Bad Request: no valid session id; start with initialize');
    const entry = await open();
    await handle(entry, req, res, body);
    // An initialize the transport refused leaves no session behind.
    if (entry.id === undefined) await dispose(entry);
  };

  return {
    // The MCP transport defines GET (an event stream), POST and DELETE; a HEAD must not open a stream.
    route: { path: '/mcp', methods: { POST: handler, GET: handler, DELETE: handler }, auth: 'token', headFromGet: false },
    sessionCount: () => sessions.size,
    async close() {
      closed = true;
      sessions.stop();
      await Promise.all([...sessions.values(), ...pending].map(dispose));
    },
  };
}

/** A session entry for `built`'s server: `initialized` once initialize gave it an id, `ended` when its transport closes. */
function newEntry(built: ReturnType<McpServerFactory>, release: () => void, initialized: (entry: McpEntry) => void, ended: (entry: McpEntry) => Promise<void>): McpEntry {
  const entry: McpEntry = { transport: undefined as never, close: built.close, release, active: 0, lastSeen: Date.now() };
  entry.transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => {
      entry.id = id;
      initialized(entry);
    },
    onsessionclosed: () => void ended(entry),
    maxRequestBodySize: MAX_MCP_BODY,
  });
  entry.transport.onclose = () => void ended(entry);
  return entry;
}
