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
}

/**
 * The one rule choosing a span's parent, for requests and notifications alike. Received: the
 * context the message carries (its sender's span, so traces join across processes), else the
 * current one. Sent: the current context, else the inbound request it answers to, else what the
 * message already carries (a proxy forwarding a traced message keeps its trace).
 */
export function chooseParent(dir: RpcDirection, c: ParentCandidates): SpanContext | undefined {
  const carried = (): SpanContext | undefined => (c.propagate && c.meta?.traceparent !== undefined ? parseTraceparent(c.meta.traceparent, c.meta.tracestate) : undefined);
  if (dir === 'inbound') return carried() ?? c.current;
  return c.current ?? c.related?.() ?? carried();
}
