import type { GateDecision, GateIo, GatedRequest, RequestGate } from '../sessions/gateTypes.js';
import type { JsonRpcId } from '../core/jsonRpc.js';
import type { OpenRequest, OpenRequests } from './openRequests.js';
import type { ProxyRecorder } from './proxyRecorder.js';
import type { Envelope } from './scanEnvelope.js';

/** One message as the router routes it: its envelope, plus its parsed form once something parsed it. */
export interface Routed extends Envelope {
  parsed?: { message: { params?: unknown }; text: string };
}

/** JSON-RPC error codes the proxy answers with. */
export const RpcErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  /** The upstream closed or could not be reached (the MCP SDK's ConnectionClosed). */
  UPSTREAM_CLOSED: -32000,
  REQUEST_CANCELLED: -32800,
  INTERNAL_ERROR: -32603,
} as const;

/**
 * What the router's helpers (batches, over-long lines) need from it: the open-requests table,
 * forwarding, and answering. MessageRouter is the one implementation; stated here so those
 * helpers live in their own modules without importing the router.
 */
export interface RouterParts {
  readonly open: OpenRequests;
  readonly recorder: ProxyRecorder | undefined;
  readonly gate: RequestGate | undefined;
  readonly io: GateIo;
  readonly upstreamOpen: boolean;
  /** Forwards one message upstream; `requests` are the open requests it carries (answered if it cannot go). */
  forward(framed: Buffer, end: number, method: string | undefined, requests: OpenRequest[] | undefined): void;
  /** Applies a gate's decisions for the requests of one message. */
  decide(list: OpenRequest[], decisions: GateDecision[], framed: Buffer, end: number, method: string | undefined, batch?: unknown[]): void;
  /** Answers one open request with an error from the proxy (recorded as sent). */
  answer(p: OpenRequest, code: number, message: string, data?: unknown): void;
  /** Matches a response to its open request, which it closes (none: nothing to do). */
  settle(id: unknown, idToken: string | undefined): void;
  clientCancelled(params: unknown): void;
  toClient(framed: Buffer): void;
  /** Sends a reply of ours upstream (nothing when the upstream is gone). */
  replyUpstream(text: string): void;
  rejectClientLine(text: string, code: number, message: string, detail: string, idJsonText: string): void;
  rejectUpstreamLine(text: string, code: number, message: string, detail: string, idJsonText: string): void;
}

/** A JSON-RPC error response as one line of text (no newline). */
export function errorLine(idJsonText: string, code: number, message: string, data?: unknown): string {
  const error = data === undefined ? { code, message } : { code, message, data };
  return `{"jsonrpc":"2.0","id":${idJsonText},"error":${JSON.stringify(error)}}`;
}

/** The request as the gate sees it (its progress token lets a held request be kept alive). */
export function gatedRequest(m: { id?: JsonRpcId; method?: string; params?: unknown }): GatedRequest {
  const token = (m.params as { _meta?: { progressToken?: unknown } } | undefined)?._meta?.progressToken;
  const req: GatedRequest = { id: m.id!, method: m.method! };
  if (m.params !== undefined) req.params = m.params;
  if (typeof token === 'string' || typeof token === 'number') req.progressToken = token;
  return req;
}
