/** What a parsed JSON-RPC 2.0 value is. `invalid` covers anything JSON-RPC 2.0 calls an Invalid Request. */
export type MessageKind = 'request' | 'notification' | 'response' | 'invalid';

/** A JSON-RPC id as we track it: string or number (null only on error responses). */
export type JsonRpcId = string | number;

/**
 * Classifies one parsed value (not a batch; check Array.isArray first) without allocating.
 * Rules: an object with `jsonrpc: "2.0"`; with a string `method` it is a notification
 * (no `id`) or a request (string or number `id`); otherwise it is a response when it has
 * `result` or `error` and a string or number `id` (or `id: null` with `error`).
 */
export function classifyMessage(msg: unknown): MessageKind {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return 'invalid';
  const m = msg as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return 'invalid';
  const method = m.method;
  const id = m.id;
  if (method !== undefined) {
    if (typeof method !== 'string') return 'invalid';
    if (id === undefined) return 'notification';
    return typeof id === 'string' || typeof id === 'number' ? 'request' : 'invalid';
  }
  const hasResult = m.result !== undefined;
  const hasError = m.error !== undefined;
  if (hasResult === hasError) return 'invalid';
  if (typeof id === 'string' || typeof id === 'number') return 'response';
  return id === null && hasError ? 'response' : 'invalid';
}

/** Why `msg` is not a valid JSON-RPC 2.0 message (only meaningful when classifyMessage says `invalid`). */
export function invalidReason(msg: unknown): string {
  if (Array.isArray(msg)) return msg.length === 0 ? 'empty batch' : 'invalid batch';
  if (typeof msg !== 'object' || msg === null) return `expected a JSON-RPC object, got ${msg === null ? 'null' : typeof msg}`;
  const m = msg as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return 'missing or wrong "jsonrpc" member (expected "2.0")';
  if (m.method !== undefined && typeof m.method !== 'string') return '"method" must be a string';
  if (m.method !== undefined) return '"id" must be a string or a number';
  if (m.result !== undefined && m.error !== undefined) return 'a response has both "result" and "error"';
  if (m.result === undefined && m.error === undefined) return 'neither a request (no "method") nor a response (no "result" or "error")';
  return 'a response needs a string or number "id"';
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
