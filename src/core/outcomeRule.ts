// The error classification of the trace format, on plain values, importing nothing: the store
// and tools use it through spanOutcome (outcome.ts), and the browser page bundles it as is.

/**
 * What a span's outcome means to someone asking "did this session fail?":
 * - `ok`: no error (status OK or UNSET).
 * - `tool_error`: a tool ran and answered `isError: true`.
 * - `rpc_error`: the peer answered a JSON-RPC error (or an error the inspector saw in the
 *   traffic itself: a malformed line, a reused request id).
 * - `transport_error`: the call never got its answer because the connection failed: the
 *   upstream died, the connection closed mid-call, a timeout or cancellation, or the
 *   recording process was killed (`abandoned`).
 * - `benign`: recorded with status ERROR, but not a failure: a discovery or negotiation probe
 *   answered "method not found", a server-to-client request left unanswered because the
 *   client went away, or a call a person rejected at a breakpoint.
 */
export type OutcomeKind = 'ok' | 'tool_error' | 'rpc_error' | 'transport_error' | 'benign';

/** JSON-RPC "method not found". */
const METHOD_NOT_FOUND = -32601;

/**
 * Methods a peer may call only to learn what the other side supports: read-only, no side
 * effects, and "method not found" just means "not supported" (a newer client probing an older
 * server, a client listing prompts of a server that has none). Tool calls, reads and the
 * like are not here: their "method not found" is a real error.
 */
const PROBE_METHODS: ReadonlySet<string> = new Set([
  'server/discover',
  'ping',
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'roots/list',
  'completion/complete',
  'logging/setLevel',
]);

/**
 * Requests a server sends to its client. When the client disconnects without answering one,
 * nothing failed: the client simply left (its own calls in flight are judged separately).
 */
const SERVER_TO_CLIENT_METHODS: ReadonlySet<string> = new Set(['roots/list', 'ping', 'sampling/createMessage', 'elicitation/create']);

/** `error.type` values meaning the answer never came because the connection failed. */
const TRANSPORT_TYPES: ReadonlySet<string> = new Set(['connection_closed', 'abandoned', 'timeout', 'cancelled', 'evicted', 'upstream_closed', 'transport_error']);

/**
 * The code the proxy answers for a call a person rejected at a breakpoint (the request gate's
 * REJECTED_ERROR_CODE): a decision, not a failure.
 */
const REJECTED_AT_BREAKPOINT = -32010;

/** JSON-RPC codes for a connection closed, a request timed out or cancelled (MCP SDK and proxy). */
const TRANSPORT_CODES: ReadonlySet<number> = new Set([-32000, -32001, -32800]);

/** Which rule decided a classification: spanOutcome words its reason from it. */
export type OutcomeRule = 'ok' | 'tool' | 'probe' | 'client_left' | 'rejected' | 'transport' | 'rpc';

/**
 * Classifies an outcome from the span's status (`isError`), its `mcp.method.name`, `error.type`
 * and error code (`mcp.error.code`, else `rpc.response.status_code`; numbers or digit strings).
 * Never throws.
 */
export function classifyOutcome(isError: boolean, method: string | undefined, type: string | undefined, codeAttr: unknown): { kind: OutcomeKind; rule: OutcomeRule } {
  if (!isError) return { kind: 'ok', rule: 'ok' };
  const code = errorCode(codeAttr ?? type);
  if (type === 'tool_error') return { kind: 'tool_error', rule: 'tool' };
  if (code === METHOD_NOT_FOUND && method !== undefined && PROBE_METHODS.has(method)) return { kind: 'benign', rule: 'probe' };
  if (type === 'connection_closed' && method !== undefined && SERVER_TO_CLIENT_METHODS.has(method)) return { kind: 'benign', rule: 'client_left' };
  if (code === REJECTED_AT_BREAKPOINT) return { kind: 'benign', rule: 'rejected' };
  if (type !== undefined && TRANSPORT_TYPES.has(type)) return { kind: 'transport_error', rule: 'transport' };
  if (code !== undefined && TRANSPORT_CODES.has(code)) return { kind: 'transport_error', rule: 'transport' };
  return { kind: 'rpc_error', rule: 'rpc' };
}

function errorCode(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return undefined;
}
