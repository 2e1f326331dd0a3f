/**
 * The library API of `mcpscope` (`import … from 'mcpscope'`): record MCP traffic in-process,
 * write and read trace files, redact secrets, observe recording through diagnostics channels,
 * and the zod schemas of the trace contract (docs/trace-format.md).
 *
 * Live sessions of any engine (startLiveSession: a tracer, hold points, signal waiters) start here too.
 *
 * Everything here is a stable entry point; the rest of the package (proxy, gateway, MCP tools)
 * is reached through the `mcpscope` command. Importing this module starts nothing: no server,
 * no worker, no timer.
 */

// The trace contract: spans, sessions, live events, ids, errors.
export {
  Attr,
  AttributesSchema,
  AttributeValueSchema,
  SpanEventSchema,
  SpanKindSchema,
  SpanSchema,
  StatusCodeSchema,
  TimestampSchema,
  type Attributes,
  type AttributeValue,
  type Span,
  type SpanEvent,
  type SpanKind,
  type StatusCode,
} from './core/span.js';
export {
  EngineSchema,
  FINAL_STATUSES,
  SessionIdSchema,
  SessionMetaSchema,
  SessionStatusSchema,
  type Engine,
  type SessionMeta,
  type SessionStatus,
} from './core/session.js';
export { BUILTIN_SIGNALS, SessionEventSchema, type BuiltinSignal, type SessionEvent, type SessionEventType } from './core/events.js';
export { isSessionId, isSpanId, isTraceId, newSessionId, SESSION_ID_PATTERN } from './core/ids.js';
export { InspectorError, isInspectorError, type InspectorErrorCode } from './core/errors.js';
export { capJsonAttributes, JSON_ATTRIBUTE_CAP_BYTES } from './core/jsonAttributes.js';
export { InMemorySpanSink, type SpanSink } from './core/spanSink.js';
export { teeExporter, type SpanBatch, type SpanExporter } from './core/spanExporter.js';
/** Where the CLI would look: `resolveConfig({}, process.env).tracesDir` is MCP_TRACES_DIR, else ~/.mcp_traces. */
export { resolveConfig, type ConfigFlags, type InspectorConfig } from './core/config.js';

// In-process instrumentation: wrap any MCP SDK Transport, or feed a recorder yourself.
export {
  createRpcRecorder,
  instrumentTransport,
  transportNameOf,
  type InstrumentedTransport,
  type InstrumentOptions,
  type RecordContext,
  type RecorderStats,
  type RpcRecorder,
  type RpcRecorderOptions,
} from './instrumentation/index.js';
export { currentSpanContext, formatTraceparent, parseTraceparent, runWithSpanContext, type SpanContext } from './instrumentation/index.js';

// Secret redaction, as applied before anything reaches disk.
export { createRedactor, type RedactionOptions, type Redactor } from './instrumentation/index.js';

// Hooks: node:diagnostics_channel names and a typed subscribe helper.
export {
  HOOK_CHANNELS,
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
} from './instrumentation/index.js';

// Trace files: the writer, readers, and the listing of a traces directory.
export {
  createSessionIndex,
  createTraceWriter,
  DEFAULT_GZIP_LEVEL,
  DEFAULT_ROTATE_BYTES,
  metaFilePath,
  readMetaFile,
  readSpans,
  readTail,
  readTrace,
  readTraceFile,
  traceFilePath,
  type ReadSpansOptions,
  type ReadStats,
  type SessionIndex,
  type TraceReadResult,
  type TraceWriter,
  type TraceWriterOptions,
} from './store/index.js';

// OpenTelemetry in: an SDK SpanExporter writing our trace files (the @opentelemetry/* packages
// are optional peer dependencies, needed for their types only).
export { createMcpscopeSpanExporter, McpscopeSpanExporter, type McpscopeSpanExporterOptions } from './otel/spanExporter.js';

// Live sessions: start one (any engine), trace it, hold steps, wait on named signals; `mcpscope
// serve` lists and steers it through its control socket under <tracesDir>/live/.
export { startLiveSession, type StartLiveSessionOptions, type StartedLiveSession } from './sessions/startLiveSession.js';
export type { LiveSession, SignalResult } from './sessions/liveSessionTypes.js';
export type { WaitForSignalOptions } from './sessions/signalWaiters.js';
export type { HoldOutcome, HoldQueue, HoldRequest } from './sessions/holdQueue.js';
export { HeldItemSchema, LiveStateSchema, WaiterInfoSchema, type HeldItem, type LiveState, type WaiterInfo } from './core/liveState.js';
export { createTracer, type StartSpanOptions, type Tracer, type TracerOptions, type TracerSpan } from './instrumentation/tracer.js';
