/** A JSON-RPC id as MCP allows it on requests (null only on error responses to unreadable requests). */
export type JsonRpcId = string | number;
/** The same, by the name the instrumentation API exports. */
export type RpcId = JsonRpcId;

/** What a parsed JSON-RPC 2.0 value is, as the proxy routes it. `invalid` covers anything JSON-RPC 2.0 calls an Invalid Request. */
export type MessageKind = 'request' | 'notification' | 'response' | 'invalid';

/** One JSON-RPC message, sorted by shape (no allocation beyond this small record). */
export type ClassifiedMessage =
  | { kind: 'request'; id: RpcId; method: string; params: Record<string, unknown> | undefined }
  | { kind: 'notification'; method: string; params: Record<string, unknown> | undefined }
  | { kind: 'result'; id: RpcId; result: unknown }
  | { kind: 'error'; id: RpcId | null; code: number | undefined; message: string; data: unknown }
  | { kind: 'invalid'; reason: string };

/**
 * Which rules {@link classifyMessage} applies. `record` (the instrumentation's): lenient where the
 * MCP SDK is (no `jsonrpc` member is fine; `result` wins over `error`), strict on the shapes a
 * span reads (`params` and `error` must be objects). `forward` (the proxy's, before it forwards
 * or answers -32600): JSON-RPC 2.0's envelope exactly (`jsonrpc: "2.0"`, a string `method`, one of
 * `result` and `error`), and nothing about the payload, which is the peers' business.
 */
export type ClassifyRules = 'record' | 'forward';

/** Any string or number: a JSON number too large for a double (`1e400`) parses to Infinity and is still an id. */
function isId(value: unknown): value is RpcId {
  return typeof value === 'string' || (typeof value === 'number' && !Number.isNaN(value));
}

function asParams(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

const invalid = (reason: string): ClassifiedMessage => ({ kind: 'invalid', reason });

/**
 * Sorts one parsed JSON value (not a batch) into request / notification / result / error, or
 * `invalid` with a reason, under `rules`. A hand-written structural check rather than a zod
 * parse: it runs for every message on the hot path.
 */
export function classifyMessage(message: unknown, rules: ClassifyRules = 'record'): ClassifiedMessage {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    const got = message === null ? 'null' : Array.isArray(message) && rules === 'record' ? 'array' : typeof message;
    return invalid(`expected a JSON-RPC object, got ${got}`);
  }
  const m = message as Record<string, unknown>;
  const forward = rules === 'forward';
  if (forward ? m.jsonrpc !== '2.0' : m.jsonrpc !== undefined && m.jsonrpc !== '2.0') {
    return invalid(forward ? 'missing or wrong "jsonrpc" member (expected "2.0")' : 'jsonrpc must be "2.0"');
  }
  if (typeof m.method === 'string' || (forward && m.method !== undefined)) {
    if (typeof m.method !== 'string') return invalid('"method" must be a string');
    const params = asParams(m.params);
    if (!forward && m.params !== undefined && params === undefined) return invalid('params must be an object');
    if (m.id === undefined) return { kind: 'notification', method: m.method, params };
    if (!isId(m.id)) return invalid(forward ? '"id" must be a string or a number' : 'request id must be a string or a number');
    return { kind: 'request', id: m.id, method: m.method, params };
  }
  return forward ? forwardResponse(m) : recordResponse(m);
}

/** A response under the `forward` rules. */
function forwardResponse(m: Record<string, unknown>): ClassifiedMessage {
  const hasResult = m.result !== undefined;
  const hasError = m.error !== undefined;
  if (hasResult && hasError) return invalid('a response has both "result" and "error"');
  if (!hasResult && !hasError) return invalid('neither a request (no "method") nor a response (no "result" or "error")');
  if (!isId(m.id) && !(m.id === null && hasError)) return invalid('a response needs a string or number "id"');
  return hasResult ? { kind: 'result', id: m.id as RpcId, result: m.result } : errorOf(m, m.id as RpcId | null);
}

/** A response under the `record` rules. */
function recordResponse(m: Record<string, unknown>): ClassifiedMessage {
  if ('result' in m) {
    if (!isId(m.id)) return invalid('response id must be a string or a number');
    return { kind: 'result', id: m.id, result: m.result };
  }
  if ('error' in m) {
    if (m.error === null || typeof m.error !== 'object') return invalid('error must be an object');
    if (!isId(m.id) && m.id !== null) return invalid('error id must be a string, a number or null');
    return errorOf(m, m.id);
  }
  return invalid('not a request, notification or response');
}

function errorOf(m: Record<string, unknown>, id: RpcId | null): ClassifiedMessage {
  const { code, message: text, data } = (m.error ?? {}) as Record<string, unknown>;
  return { kind: 'error', id, code: typeof code === 'number' ? code : undefined, message: typeof text === 'string' ? text : 'unknown error', data };
}

/** The kind the proxy routes by: results and errors are both responses. */
export function kindOf(c: ClassifiedMessage): MessageKind {
  return c.kind === 'result' || c.kind === 'error' ? 'response' : c.kind;
}

/** The id of an invalid message as far as it can be detected (JSON-RPC 2.0 says null when it cannot). */
export function detectableId(msg: unknown): JsonRpcId | null {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return null;
  const id = (msg as Record<string, unknown>).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** True when a numeric id did not survive JSON.parse exactly (|id| above 2^53, or not an integer). */
export function isLossyId(id: unknown): id is number {
  return typeof id === 'number' && !Number.isSafeInteger(id);
}
