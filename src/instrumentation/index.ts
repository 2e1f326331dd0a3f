/** Public API of the instrumentation layer: MCP JSON-RPC traffic to spans, context propagation, hooks. */
export { classifyMessage, type ClassifiedMessage, type RpcId } from '../core/jsonRpc.js';
export {
  HOOK_CHANNELS,
  hookChannels,
  publishHook,
  subscribeHook,
  type HookName,
  type HookPayloads,
  type RpcDirection,
  type RpcErrorHook,
  type RpcNotificationHook,
  type RpcRequestHook,
  type RpcResponseHook,
  type SessionFinishedHook,
  type SessionStartedHook,
  type SpanEndHook,
} from './hooks.js';
export { instrumentTransport, transportNameOf, type InstrumentOptions, type InstrumentedTransport } from './instrumentTransport.js';
export { createRedactor, type RedactionOptions, type Redactor } from './redaction.js';
export { createRpcRecorder, type RecordContext, type RecorderStats, type RpcRecorder, type RpcRecorderOptions } from './rpcRecorder.js';
export { deriveNetworkTransport, RpcRecorderOptionsSchema } from './rpcRecorderOptions.js';
export { rpcSpanName, rpcTarget } from './spanBuilder.js';
export { currentSpanContext, formatTraceparent, LazySpanContext, parseTraceparent, runWithSpanContext, type SpanContext } from './traceContext.js';
