/**
 * The page's copy of the trace format's error classification (`spanOutcome` in
 * src/core/outcome.ts, which the browser cannot import: core pulls in node:crypto through
 * ids). test/ui/traceModel.test.ts checks the two agree on every case, so they cannot drift.
 */
export type OutcomeKind = 'ok' | 'tool_error' | 'rpc_error' | 'transport_error' | 'benign';

const PROBE_METHODS = new Set(['server/discover', 'ping', 'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'roots/list', 'completion/complete', 'logging/setLevel']);
const SERVER_TO_CLIENT = new Set(['roots/list', 'ping', 'sampling/createMessage', 'elicitation/create']);
const TRANSPORT_TYPES = new Set(['connection_closed', 'abandoned', 'timeout', 'cancelled', 'evicted', 'upstream_closed', 'transport_error']);
const TRANSPORT_CODES = new Set([-32000, -32001, -32800]);

function errorCode(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return undefined;
}

/**
 * Classifies a span from its status, method, `error.type` and error code (the
 * `mcp.error.code` attribute, else `rpc.response.status_code`). Never throws.
 */
export function classifyOutcome(isError: boolean, method: string, type: string | undefined, codeAttr: unknown): OutcomeKind {
  if (!isError) return 'ok';
  const code = errorCode(codeAttr ?? type);
  if (type === 'tool_error') return 'tool_error';
  if (code === -32601 && method !== '' && PROBE_METHODS.has(method)) return 'benign';
  if (type === 'connection_closed' && SERVER_TO_CLIENT.has(method)) return 'benign';
  if (code === -32010) return 'benign';
  if (type !== undefined && TRANSPORT_TYPES.has(type)) return 'transport_error';
  if (code !== undefined && TRANSPORT_CODES.has(code)) return 'transport_error';
  return 'rpc_error';
}
