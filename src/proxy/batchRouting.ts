import type { GateDecision } from '../sessions/gateTypes.js';
import { classifyMessage, kindOf, type JsonRpcId } from '../core/jsonRpc.js';
import type { OpenRequest } from './openRequests.js';
import { RpcErrorCode, gatedRequest, type RouterParts } from './routerParts.js';

/**
 * A batch from the client (JSON-RPC 2.0 arrays; rare in MCP): opens each request it holds (keyed
 * by its parsed id: an element has no raw text of its own), applies the gate to each, and forwards
 * the batch whole, or what the gate let through re-serialised.
 */
export function routeClientBatch(r: RouterParts, batch: unknown[], framed: Buffer, end: number, text: string): void {
  if (batch.length === 0) {
    r.rejectClientLine(text, RpcErrorCode.INVALID_REQUEST, 'Invalid Request', 'invalid request: empty batch', 'null');
    return;
  }
  const tracked: OpenRequest[] = [];
  const held: Array<Promise<GateDecision> | undefined> = [];
  for (const item of batch) {
    const kind = kindOf(classifyMessage(item, 'forward'));
    const m = item as { id?: JsonRpcId; method?: string; params?: unknown };
    if (kind === 'request') {
      tracked.push(r.open.track(m.id!, undefined, m.method!));
      held.push(r.gate?.admit(gatedRequest(m), r.io));
    } else if (kind === 'notification' && m.method === 'notifications/cancelled') {
      r.clientCancelled(m.params);
    }
  }
  r.recorder?.received(batch, text);
  if (held.every((h) => h === undefined)) {
    r.forward(framed, end, undefined, tracked);
    return;
  }
  void Promise.all(held.map((h) => h ?? Promise.resolve<GateDecision>({ action: 'forward' }))).then((decisions) =>
    r.decide(tracked, decisions, framed, end, undefined, batch),
  );
}

/** A batch from the upstream: settles the responses in it and delivers it whole. */
export function routeUpstreamBatch(r: RouterParts, batch: unknown[], framed: Buffer, text: string): void {
  if (batch.length === 0) {
    r.rejectUpstreamLine(text, RpcErrorCode.INVALID_REQUEST, 'Invalid Request', 'invalid request: empty batch', 'null');
    return;
  }
  for (const item of batch) if (kindOf(classifyMessage(item, 'forward')) === 'response') r.settle((item as { id: unknown }).id, undefined);
  r.toClient(framed);
  r.recorder?.sent(batch, text);
}

/**
 * What is left of a client batch once the gate rejected some of its requests (rare): the other
 * elements re-serialised (ids above 2^53 lose precision here), or undefined when nothing is left.
 */
export function batchWithout(batch: unknown[], rejected: ReadonlySet<OpenRequest>): Buffer | undefined {
  const rejectedIds = new Set([...rejected].map((p) => p.id));
  const rest = batch.filter((item) => !(kindOf(classifyMessage(item, 'forward')) === 'request' && rejectedIds.has((item as { id: JsonRpcId }).id)));
  return rest.length === 0 ? undefined : Buffer.from(`${JSON.stringify(rest)}\n`);
}
