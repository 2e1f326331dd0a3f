import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InspectorError } from './core/errors.js';
import type { LiveState } from './core/liveState.js';
import type { SessionMeta } from './core/session.js';
import { packageInfo } from './core/version.js';
import { registerDebugSessionPrompt } from './prompts/registerDebugSessionPrompt.js';
import { registerResources } from './resources/registerResources.js';
import type { SessionControl } from './sessions/sessionControl.js';
import type { SignalResult } from './sessions/liveSessionTypes.js';
import { registerTools } from './tools/registerTools.js';
import type { LoadedTrace } from './catalog/loadedTrace.js';
import { createSessionCatalog, type SessionCatalog } from './catalog/sessionCatalog.js';
import type { SessionChange } from './catalog/sessionChanges.js';
import type { TraceSummary } from './catalog/traceSummary.js';

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
 * State shared by every connection of one inspector: the session catalog (sessions, traces,
 * change notifications) and the result budgets. It satisfies the context interfaces of the
 * tools, resources and prompts, which read through the catalog and only format.
 */
export interface InspectorContext {
  readonly tracesDir: string;
  readonly control?: SessionControl;
  readonly byteBudget: number;
  readonly resourceByteBudget: number;
  readonly catalog: SessionCatalog;
  listSessions(): Promise<SessionMeta[]>;
  getSession(sessionId: string): Promise<SessionMeta>;
  loadTrace(sessionId: string): Promise<LoadedTrace>;
  describeSession(sessionId: string): Promise<{ meta: SessionMeta; summary: TraceSummary; live?: LiveState }>;
  signalSession(sessionId: string, signal: string, payload?: unknown): Promise<SignalResult>;
  liveState(sessionId: string): LiveState | undefined;
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
  const catalog = createSessionCatalog({
    tracesDir,
    ...(control ? { control } : {}),
    ...(options.watch === undefined ? {} : { watch: options.watch }),
    ...(options.log ? { log: options.log } : {}),
  });
  return {
    tracesDir,
    ...(control ? { control } : {}),
    byteBudget,
    resourceByteBudget,
    catalog,
    listSessions: () => catalog.list(),
    getSession: (id) => catalog.get(id),
    loadTrace: (id) => catalog.loadTrace(id),
    describeSession: (id) => catalog.describe(id, byteBudget),
    signalSession: (id, signal, payload) => catalog.signal(id, signal, payload),
    liveState: (id) => catalog.liveState(id),
    subscribeChanges: (listener) => catalog.subscribe(listener),
    close: () => catalog.close(),
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
