/**
 * The contract between the proxy (which owns the wire) and the live-session layer
 * (which decides when a held request may go on). The proxy calls `admit` for every
 * client-to-upstream request, in arrival order, before forwarding it.
 */

/** A client-to-upstream JSON-RPC request as the gate sees it. */
export interface GatedRequest {
  id: string | number;
  method: string;
  params?: unknown;
  /** `params._meta.progressToken`, when the client asked for progress. */
  progressToken?: string | number;
}

/** What happens to a request the gate held. */
export type GateDecision =
  | { action: 'forward' }
  | { action: 'reject'; code: number; message: string; data?: unknown };

/** What the proxy lets the gate do while it holds a request. */
export interface GateIo {
  /** Writes a JSON-RPC notification to the client (progress keep-alives while held). */
  notifyClient(message: { jsonrpc: '2.0'; method: string; params?: unknown }): void;
}

export interface RequestGate {
  /**
   * Returns `undefined` to forward at once (the fast path: must be cheap and synchronous),
   * or a promise that settles when the request may be forwarded or must be answered with
   * an error. Never rejects: a held request is always either forwarded or answered.
   */
  admit(request: GatedRequest, io: GateIo): Promise<GateDecision> | undefined;
}
