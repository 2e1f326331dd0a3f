/** A JSON-RPC id as MCP allows it (null only on error responses to unreadable requests). */
export type RpcId = string | number;

/** One JSON-RPC message, sorted by shape (no allocation beyond this small record). */
export type ClassifiedMessage =
  | { kind: 'request'; id: RpcId; method: string; params: Record<string, unknown> | undefined }
  | { kind: 'notification'; method: string; params: Record<string, unknown> | undefined }
  | { kind: 'result'; id: RpcId; result: unknown }
  | { kind: 'error'; id: RpcId | null; code: number | undefined; message: string; data: unknown }
  | { kind: 'invalid'; reason: string };

/** Any string or number: a JSON number too large for a double (`1e400`) parses to Infinity and is still an id. */
function isId(value: unknown): value is RpcId {
  return typeof value === 'string' || (typeof value === 'number' && !Number.isNaN(value));
}

function asParams(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Sorts one parsed JSON value into request / notification / result / error, or `invalid`
 * with a reason. A hand-written structural check rather than a zod parse: it runs for every
 * message on the hot path. Lenient where the SDK is (a missing `jsonrpc` member is accepted).
 */
export function classifyMessage(message: unknown): ClassifiedMessage {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    return { kind: 'invalid', reason: `expected a JSON-RPC object, got ${message === null ? 'null' : Array.isArray(message) ? 'array' : typeof message}` };
  }
  const m = message as Record<string, unknown>;
  if (m.jsonrpc !== undefined && m.jsonrpc !== '2.0') return { kind: 'invalid', reason: 'jsonrpc must be "2.0"' };
  if (typeof m.method === 'string') {
    if (m.params !== undefined && asParams(m.params) === undefined) return { kind: 'invalid', reason: 'params must be an object' };
    if (m.id === undefined) return { kind: 'notification', method: m.method, params: asParams(m.params) };
    if (!isId(m.id)) return { kind: 'invalid', reason: 'request id must be a string or a number' };
    return { kind: 'request', id: m.id, method: m.method, params: asParams(m.params) };
  }
  if ('result' in m) {
    if (!isId(m.id)) return { kind: 'invalid', reason: 'response id must be a string or a number' };
    return { kind: 'result', id: m.id, result: m.result };
  }
  if ('error' in m) {
    const e = m.error;
    if (e === null || typeof e !== 'object') return { kind: 'invalid', reason: 'error must be an object' };
    if (!isId(m.id) && m.id !== null) return { kind: 'invalid', reason: 'error id must be a string, a number or null' };
    const { code, message: text, data } = e as Record<string, unknown>;
    return {
      kind: 'error',
      id: m.id,
      code: typeof code === 'number' ? code : undefined,
      message: typeof text === 'string' ? text : 'unknown error',
      data,
    };
  }
  return { kind: 'invalid', reason: 'not a request, notification or response' };
}
