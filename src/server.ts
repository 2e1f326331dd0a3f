import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InspectorError } from './core/errors.js';
import { assertSessionId } from './core/ids.js';
import type { SessionMeta } from './core/session.js';
import { packageInfo } from './core/version.js';
import { registerDebugSessionPrompt } from './prompts/registerDebugSessionPrompt.js';
import { registerResources } from './resources/registerResources.js';
import type { SessionChange } from './resources/resourceContext.js';
import type { SessionControl } from './sessions/sessionControl.js';
import { createSessionIndex, type SessionIndex } from './store/sessionIndex.js';
import { createTracesDirWatcher, type TracesDirWatcher } from './store/tracesDirWatcher.js';
import { registerTools } from './tools/registerTools.js';
import { didYouMean } from './catalog/suggestIds.js';
import type { LoadedTrace } from './catalog/loadedTrace.js';
import { createTraceCache } from './catalog/traceCache.js';
import { summarizeTrace, type TraceSummary } from './catalog/traceSummary.js';

/** Default upper bound of one tool result (text plus structured content), in bytes. */
export const DEFAULT_BYTE_BUDGET = 20_000;
/** Default upper bound of one resource read, in bytes. */
export const DEFAULT_RESOURCE_BYTE_BUDGET = 256 * 1024;

/** What the server tells a model it is for (sent in the initialize result). */
export const INSPECTOR_INSTRUCTIONS = [
  'mcpscope records the JSON-RPC traffic of MCP clients, MCP servers and agent workflows as traces (one per session) and lets you investigate and steer them.',
  'Start with list_sessions (has_errors=true answers "which sessions failed, and why?"; or filter by status, or by text), then get_trace on a session: its summary names error spans and the slowest spans;',
  'view "spans" lists lean span rows filtered by status="error", method or tool; view "tree" shows the call hierarchy. get_span shows one span in full (request and response JSON).',
  'search_spans finds text (an error message, a tool name, an argument) across sessions; sort="duration" lists the slowest calls with their arguments. Results are bounded; follow next_cursor for more.',
  'Live sessions can be steered: pause_workflow, resume_workflow, send_signal (approve, reject, human_input_answer, step, or what waiting_on names), cancel_workflow. Steer only when the user asks.',
  'Resources: inspector://sessions, inspector://sessions/{session_id} (summary), inspector://traces/{session_id} (NDJSON); subscribe to follow live sessions. The debug_session prompt walks through an investigation.',
].join(' ');

export interface InspectorContextOptions {
  /** Directory of the trace files (`<id>.jsonl.gz`, `<id>.meta.json`); need not exist yet. */
  tracesDir: string;
  /** Live-session control; without it the steering tools answer with a clear tool error. */
  control?: SessionControl;
  /** Upper bound of every tool result, in bytes. Default 20,000. */
  byteBudget?: number;
  /** Upper bound of one resource read, in bytes. Default 262,144. */
  resourceByteBudget?: number;
  /** Watch the traces directory to notify subscribers of changes. Default true. */
  watch?: boolean;
  /** Where problems are reported, one line each. Default: dropped. */
  log?: (line: string) => void;
}

/**
 * State shared by every connection of one inspector: the session index, the parsed-trace
 * cache, the traces-directory watcher and the live event relay. It satisfies the context
 * interfaces of the tools, resources and prompts.
 */
export interface InspectorContext {
  readonly tracesDir: string;
  readonly control?: SessionControl;
  readonly byteBudget: number;
  readonly resourceByteBudget: number;
  readonly index: SessionIndex;
  listSessions(): Promise<SessionMeta[]>;
  getSession(sessionId: string): Promise<SessionMeta>;
  loadTrace(sessionId: string): Promise<LoadedTrace>;
  describeSession(sessionId: string): Promise<{ meta: SessionMeta; summary: TraceSummary }>;
  subscribeChanges(listener: (change: SessionChange) => void): () => void;
  /** Stops the watcher and the relay (the control stays open: its owner closes it). Idempotent. */
  close(): Promise<void>;
}

/** Creates the shared state of an inspector over `options.tracesDir`. */
export function createInspectorContext(options: InspectorContextOptions): InspectorContext {
  const { tracesDir, control } = options;
  const byteBudget = options.byteBudget ?? DEFAULT_BYTE_BUDGET;
  const resourceByteBudget = options.resourceByteBudget ?? DEFAULT_RESOURCE_BYTE_BUDGET;
  if (!Number.isInteger(byteBudget) || byteBudget < 2000) throw new InspectorError('INVALID_ARGUMENT', `byteBudget must be an integer of at least 2000, got ${byteBudget}`);
  const log = options.log ?? (() => undefined);
  const index = createSessionIndex(tracesDir);
  const cache = createTraceCache({ tracesDir });
  const listeners = new Set<(change: SessionChange) => void>();
  let known: Set<string> | undefined;
  let closed = false;

  const emit = (change: SessionChange) => {
    if (closed) return;
    for (const l of [...listeners]) {
      try {
        l(change);
      } catch (err) {
        log(`inspector: change listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  /** Emits `added` first when the session was not known. */
  const touch = (sessionId: string, kind: SessionChange['kind']) => {
    if (known && !known.has(sessionId)) {
      known.add(sessionId);
      emit({ sessionId, kind: 'added' });
    }
    emit({ sessionId, kind });
  };

  const listSessions = async (): Promise<SessionMeta[]> => {
    const disk = await index.list();
    known ??= new Set(disk.map((m) => m.id));
    const live = control?.listLive() ?? [];
    if (live.length === 0) return disk;
    const byId = new Map(live.map((m) => [m.id, m]));
    const merged = disk.map((m) => {
      const l = byId.get(m.id);
      if (!l) return m;
      byId.delete(m.id);
      return { ...m, ...l };
    });
    if (byId.size === 0) return merged;
    merged.push(...byId.values());
    return merged.sort((a, b) => (a.started_at === b.started_at ? (a.id < b.id ? 1 : -1) : a.started_at < b.started_at ? 1 : -1));
  };

  const getSession = async (sessionId: string): Promise<SessionMeta> => {
    const id = assertSessionId(sessionId);
    const live = control?.getLive(id);
    const disk = await index.get(id);
    if (disk && live) return { ...disk, ...live };
    const meta = live ?? disk;
    if (meta) return meta;
    const ids = (await listSessions()).map((m) => m.id);
    throw new InspectorError('SESSION_NOT_FOUND', `no session ${JSON.stringify(id)} (${ids.length} session${ids.length === 1 ? '' : 's'} known).${didYouMean(id, ids)}`);
  };

  let watcher: TracesDirWatcher | undefined;
  if (options.watch !== false) {
    watcher = createTracesDirWatcher({ dir: tracesDir, onError: (err) => log(`inspector: traces watcher: ${err instanceof Error ? err.message : String(err)}`) });
    watcher.subscribe((change) => {
      if (change.kind === 'removed') {
        cache.invalidate(change.sessionId);
        known?.delete(change.sessionId);
        emit(change);
      } else touch(change.sessionId, change.kind);
    });
  }
  const stopBus = control?.bus.subscribe((event) => {
    if (event.type === 'SessionStarted') touch(event.session_id, 'status');
    else touch(event.session_id, event.type === 'Heartbeat' ? 'trace' : 'status');
  });
  // Warm the index (and learn the known ids) in the background.
  listSessions().catch((err: unknown) => log(`inspector: listing ${tracesDir} failed: ${err instanceof Error ? err.message : String(err)}`));

  return {
    tracesDir,
    ...(control ? { control } : {}),
    byteBudget,
    resourceByteBudget,
    index,
    listSessions,
    getSession,
    loadTrace: (id) => cache.get(id),
    async describeSession(sessionId) {
      const meta = await getSession(sessionId);
      const trace = await cache.get(meta.id);
      return { meta, summary: summarizeTrace(meta, trace, byteBudget).summary };
    },
    subscribeChanges(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      stopBus?.();
      listeners.clear();
      await watcher?.close();
    },
  };
}

/**
 * Builds one MCP server (one per connection: stdio, or each Streamable HTTP session) over a
 * shared context: the tools, the resources with subscriptions, and the `debug_session` prompt.
 * `close` stops relaying changes to it and closes its transport.
 */
export function createInspectorServer(context: InspectorContext): { server: McpServer; close(): Promise<void> } {
  const { name, version } = packageInfo();
  const server = new McpServer(
    { name, version, title: 'MCP Inspector' },
    { capabilities: { resources: { subscribe: true, listChanged: true } }, instructions: INSPECTOR_INSTRUCTIONS },
  );
  registerTools(server, context);
  const stopRelay = registerResources(server, context);
  registerDebugSessionPrompt(server, context);
  const previous = server.server.onclose;
  server.server.onclose = () => {
    stopRelay();
    previous?.();
  };
  return {
    server,
    async close() {
      stopRelay();
      await server.close();
    },
  };
}
