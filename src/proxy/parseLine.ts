import { classifyMessage, detectableId, isLossyId, kindOf } from '../core/jsonRpc.js';
import { rawIdToken } from '../core/rawIdToken.js';
import { routeClientBatch, routeUpstreamBatch } from './batchRouting.js';
import { RpcErrorCode, type RouterParts, type Routed } from './routerParts.js';

/**
 * Reads a line scanEnvelope left, from the client or the upstream, with JSON.parse. Returns its
 * envelope (with the raw id token when JSON.parse rounded the id), or undefined when the line was
 * handled here: answered as invalid (-32700/-32600, to the side it came from), or routed as a batch.
 */
export function parseLine(r: RouterParts, framed: Buffer, end: number, from: 'client' | 'upstream'): Routed | undefined {
  const reject = from === 'client' ? r.rejectClientLine.bind(r) : r.rejectUpstreamLine.bind(r);
  const text = framed.toString('utf8', 0, end);
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch (err) {
    reject(text, RpcErrorCode.PARSE_ERROR, 'Parse error', `parse error: ${(err as Error).message}`, 'null');
    return undefined;
  }
  if (Array.isArray(msg)) {
    if (from === 'client') routeClientBatch(r, msg, framed, end, text);
    else routeUpstreamBatch(r, msg, framed, text);
    return undefined;
  }
  const classified = classifyMessage(msg, 'forward');
  if (classified.kind === 'invalid') {
    const id = detectableId(msg);
    const idJsonText = isLossyId(id) ? (rawIdToken(text) ?? 'null') : JSON.stringify(id);
    const what = from === 'client' ? 'invalid request' : 'invalid message from upstream';
    reject(text, RpcErrorCode.INVALID_REQUEST, 'Invalid Request', `${what}: ${classified.reason}`, idJsonText);
    return undefined;
  }
  const m = msg as { id?: unknown; method?: string };
  const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : undefined;
  return { kind: kindOf(classified) as Routed['kind'], id, idToken: isLossyId(id) ? rawIdToken(text) : undefined, method: m.method, parsed: { message: msg as { params?: unknown }, text } };
}
