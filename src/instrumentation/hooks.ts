import diagnosticsChannel from 'node:diagnostics_channel';
import type { Span } from '../core/span.js';

/**
 * Every `node:diagnostics_channel` name mcpscope publishes on, in one place, so other
 * code can observe recording without importing us (`diagnostics_channel.subscribe(name, fn)`).
 * Publishing is guarded by `hasSubscribers`: with no subscriber it costs one property read.
 */
export const HOOK_CHANNELS = {
  /** A request was seen (either direction), before its response: {@link RpcRequestHook}. */
  beforeRpcRequest: 'mcpscope:before_rpc_request',
  /** A request's span ended with a response (success or error): {@link RpcResponseHook}. */
  afterRpcResponse: 'mcpscope:after_rpc_response',
  /** A request failed: JSON-RPC error, `isError` tool result, cancelled or connection closed: {@link RpcErrorHook}. */
  errorRpcRequest: 'mcpscope:error_rpc_request',
  /** A notification was seen: {@link RpcNotificationHook}. */
  rpcNotification: 'mcpscope:rpc_notification',
  /** Any span was handed to the sink: {@link SpanEndHook}. */
  spanEnd: 'mcpscope:span_end',
  /** A recorder was created for a session: {@link SessionStartedHook}. */
  sessionStarted: 'mcpscope:session_started',
  /** A recorder was closed: {@link SessionFinishedHook}. */
  sessionFinished: 'mcpscope:session_finished',
} as const;

export type HookName = keyof typeof HOOK_CHANNELS;
export type RpcDirection = 'inbound' | 'outbound';

export interface RpcRequestHook {
  sessionId: string;
  direction: RpcDirection;
  method: string;
  id: string | number;
  traceId: string;
  spanId: string;
  /** The parsed request as seen on the wire (not redacted: subscribers run in-process). */
  message: unknown;
}
export interface RpcResponseHook {
  sessionId: string;
  direction: RpcDirection;
  method: string;
  id: string | number;
  /** The finished, redacted span. */
  span: Span;
  durationMs: number;
  isError: boolean;
}
export interface RpcErrorHook {
  sessionId: string;
  direction: RpcDirection;
  method: string;
  id: string | number;
  span: Span;
  errorType: string;
  errorMessage: string;
}
export interface RpcNotificationHook {
  sessionId: string;
  direction: RpcDirection;
  method: string;
  message: unknown;
}
export interface SpanEndHook {
  sessionId: string;
  span: Span;
}
export interface SessionStartedHook {
  sessionId: string;
  transport: string;
  traceId: string;
}
export interface SessionFinishedHook {
  sessionId: string;
  reason?: string;
  stats: { requests: number; toolCalls: number; errors: number; spans: number };
}

/** The payload type published on each hook. */
export interface HookPayloads {
  beforeRpcRequest: RpcRequestHook;
  afterRpcResponse: RpcResponseHook;
  errorRpcRequest: RpcErrorHook;
  rpcNotification: RpcNotificationHook;
  spanEnd: SpanEndHook;
  sessionStarted: SessionStartedHook;
  sessionFinished: SessionFinishedHook;
}

/** The channel objects; publishers must check `hasSubscribers` before building a payload. */
export const hookChannels: { readonly [K in HookName]: diagnosticsChannel.Channel } = {
  beforeRpcRequest: diagnosticsChannel.channel(HOOK_CHANNELS.beforeRpcRequest),
  afterRpcResponse: diagnosticsChannel.channel(HOOK_CHANNELS.afterRpcResponse),
  errorRpcRequest: diagnosticsChannel.channel(HOOK_CHANNELS.errorRpcRequest),
  rpcNotification: diagnosticsChannel.channel(HOOK_CHANNELS.rpcNotification),
  spanEnd: diagnosticsChannel.channel(HOOK_CHANNELS.spanEnd),
  sessionStarted: diagnosticsChannel.channel(HOOK_CHANNELS.sessionStarted),
  sessionFinished: diagnosticsChannel.channel(HOOK_CHANNELS.sessionFinished),
};

/**
 * Publishes `build()` on hook `name` when someone listens; with no subscriber the payload is
 * never built. Returns whether it was published.
 */
export function publishHook<K extends HookName>(name: K, build: () => HookPayloads[K]): boolean {
  const channel = hookChannels[name];
  if (!channel.hasSubscribers) return false;
  channel.publish(build());
  return true;
}

/**
 * Typed subscription; returns the unsubscribe function (idempotent). A throwing listener
 * is caught and passed to `onError` (default: ignored), never to the traffic being recorded.
 */
export function subscribeHook<K extends HookName>(
  name: K,
  listener: (payload: HookPayloads[K]) => void,
  onError?: (err: unknown) => void,
): () => void {
  const fn = (message: unknown): void => {
    try {
      listener(message as HookPayloads[K]);
    } catch (err) {
      onError?.(err);
    }
  };
  diagnosticsChannel.subscribe(HOOK_CHANNELS[name], fn);
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    diagnosticsChannel.unsubscribe(HOOK_CHANNELS[name], fn);
  };
}
