import type { RpcDirection } from './hooks.js';
import { parseTraceparent, type SpanContext } from './traceContext.js';

/** What a message's span may be parented on. */
export interface ParentCandidates {
  /** The span context the code handling the message runs in (AsyncLocalStorage, or given by the caller). */
  current: SpanContext | undefined;
  /** The message's `params._meta`, which may carry W3C `traceparent`/`tracestate`. */
  meta: Record<string, unknown> | undefined;
  /** Whether carried trace context counts (the `propagate` option). */
  propagate: boolean;
  /** The context of the inbound request this message is sent on behalf of (`relatedRequestId`), looked up on demand. */
  related?: () => SpanContext | undefined;
  /**
   * For a request the other side may only send while handling one of ours (sampling,
   * elicitation, roots): the open request that caused it, inferred from the traffic, looked up on demand.
   */
  cause?: () => SpanContext | undefined;
}

/**
 * Requests MCP defines from server to client, sent while the server handles a client request
 * (a tool call samples, elicits, asks for roots). `ping` goes both ways, caused by nothing.
 */
export const SERVER_TO_CLIENT_REQUESTS: ReadonlySet<string> = new Set(['sampling/createMessage', 'elicitation/create', 'roots/list']);

/**
 * The one rule choosing a span's parent, for requests and notifications alike. Received: the
 * context the message carries (its sender's span, so traces join across processes), else the
 * current one. Sent: the current context, else the inbound request it answers to, else what the
 * message already carries (a proxy forwarding a traced message keeps its trace). Last, for either
 * direction, the inferred cause: over stdio a server's sampling request carries no link to the
 * tool call it serves, so an explicit context always wins over the inference.
 */
export function chooseParent(dir: RpcDirection, c: ParentCandidates): SpanContext | undefined {
  const carried = (): SpanContext | undefined => (c.propagate && c.meta?.traceparent !== undefined ? parseTraceparent(c.meta.traceparent, c.meta.tracestate) : undefined);
  if (dir === 'inbound') return carried() ?? c.current ?? c.cause?.();
  return c.current ?? c.related?.() ?? carried() ?? c.cause?.();
}
