import type { HoldQueue } from './holdQueue.js';

/**
 * The contract between the proxy (which owns the wire) and the live-session layer
 * (which decides when a held request may go on). The proxy calls `admit` for every
 * client-to-upstream request, in arrival order, before forwarding it. These types live apart
 * from the gate's implementation so that breakpoints, live sessions and the proxy can name
 * them without importing it.
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
  /**
   * Optional: true when `admit` would now return undefined for any request (nothing paused,
   * cancelled or set to break), so the caller may skip building the GatedRequest.
   */
  passesAll?(): boolean;
}

/** One request the gate holds, as reported by `state()`. */
export interface HeldRequestInfo {
  request_id: string | number;
  method: string;
  /** Tool/prompt name or resource URI, when the request has one. */
  target?: string;
  /** True while it waits on `approve`/`reject` (a breakpoint), false while it waits on resume/step. */
  awaiting_approval: boolean;
}

/** A snapshot of the gate. */
export interface GateState {
  paused: boolean;
  cancelled: boolean;
  /** Held requests in arrival order. */
  held: HeldRequestInfo[];
}

/**
 * A RequestGate the live-session layer steers: the JSON-RPC adapter over a generic hold queue
 * (`queue`, which a live session reads its state from). Every method is synchronous and never
 * throws except as documented.
 */
export interface ControlledGate extends RequestGate {
  /** The engine-neutral queue the gate holds requests in (kind `request`). */
  readonly queue: HoldQueue;
  /** Holds every request admitted from now on. Returns false when already paused. */
  pause(reason?: string): boolean;
  /** Unpauses and releases every request held by the pause, in order. Returns how many were released. */
  resume(): number;
  /**
   * While paused, releases the oldest request held by the pause; when none is held, lets the next
   * request that arrives through. Returns how many were released now (0 or 1).
   */
  step(): number;
  /** Forwards the breakpoint-held request with `requestId` (default the oldest). Throws SIGNAL_NOT_EXPECTED when none matches. */
  approve(requestId?: string | number): HeldRequestInfo;
  /** Answers the breakpoint-held request with `requestId` (default the oldest) with an error. Throws SIGNAL_NOT_EXPECTED when none matches. */
  reject(reason?: string, requestId?: string | number): HeldRequestInfo;
  /** Answers every held request with an error and every later one too. Idempotent; returns how many were answered now. */
  cancelAll(reason: string): number;
  /** How many requests are held. */
  held(): number;
  state(): GateState;
  /** Called after every change of state (pause, hold, release). Returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}
