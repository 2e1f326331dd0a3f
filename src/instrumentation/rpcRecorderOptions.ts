import { z } from 'zod';
import { isTraceId } from '../core/ids.js';
import { SessionIdSchema } from '../core/session.js';
import type { SpanSink } from '../core/spanSink.js';
import type { RpcId } from '../core/jsonRpc.js';
import type { RpcDirection } from './hooks.js';
import type { RedactionOptions } from './redaction.js';
import type { SpanContext } from './traceContext.js';

/** Options of {@link createRpcRecorder}. */
export interface RpcRecorderOptions {
  /** Where finished spans go. The recorder never closes it. */
  sink: SpanSink;
  /** The inspector session id; written as `session.id` and `mcp.session.id`. */
  sessionId: string;
  /** Transport name for `mcp.rpc.transport`: 'stdio' | 'streamable-http' | 'in-memory' ... */
  transport: string;
  /** OpenTelemetry `network.transport`; default derived: stdio -> 'pipe', http or sse transports -> 'tcp', else omitted. */
  networkTransport?: string;
  /** Secret redaction rules; default on with the built-in rules. */
  redaction?: RedactionOptions;
  /** Trace id of the session's root spans; default a fresh one per recorder. */
  traceId?: string;
  /** Cap for `*_json` attributes in bytes; default 30 KB. */
  jsonCapBytes?: number;
  /** Default true: received requests carrying `params._meta.traceparent` continue that trace. */
  propagate?: boolean;
  /** Receives internal failures; recording never throws into the traffic. Default: ignored. */
  onError?: (err: unknown) => void;
  /**
   * Default true: serialising, redacting and writing spans run on the next turn of the event
   * loop. False: they wait for `flush()` (or stats/close), for a caller that schedules the work itself.
   */
  autoFlush?: boolean;
}

/** Cumulative counts since the recorder was created (a heartbeat computes deltas). */
export interface RecorderStats {
  requests: number;
  toolCalls: number;
  errors: number;
  spans: number;
}

/** What an in-process caller knows beyond the message itself (the transport wrapper passes it). */
export interface RecordContext {
  /** The active span (e.g. the inbound request being handled) to parent a sent request or notification. */
  parent?: SpanContext;
  /** Span id to use for a sent request (the wrapper already put it in `traceparent`). */
  spanId?: string;
  /** For sent messages: the received request they belong to (SDK `relatedRequestId`). */
  relatedRequestId?: RpcId;
  /** When the message was seen, in epoch microseconds (core/time nowMicros); default now. For callers that record later. */
  time?: number;
}

/**
 * Turns JSON-RPC traffic seen at one side of a connection into spans. "received"/"sent" are
 * from the observed side's point of view: requests received are `inbound`, kind SERVER;
 * requests sent are `outbound`, kind CLIENT. Never throws; failures go to `onError`.
 */
export interface RpcRecorder {
  readonly sessionId: string;
  readonly traceId: string;
  /** Records a parsed message (or batch) that arrived; `raw` is its original text when known. Returns the span context of a single request. */
  received(message: unknown, raw?: string, context?: RecordContext): SpanContext | undefined;
  /** Records a parsed message (or batch) that left; `raw` is its original text when known. Returns the span context of a single request. */
  sent(message: unknown, raw?: string, context?: RecordContext): SpanContext | undefined;
  /** Records a line that is not valid JSON-RPC as an ERROR span `jsonrpc.invalid`; `time` as RecordContext.time. */
  malformed(direction: 'received' | 'sent', raw: string, error: string, time?: number): void;
  /**
   * Writes now the spans that have ended but are still queued. Serialising, redacting and
   * writing happen off the hot path, on the next turn of the event loop (or at close/stats).
   */
  flush(): void;
  /** Ends one open request as ERROR without a response (e.g. it could not be delivered). No-op when not open. */
  fail(direction: RpcDirection, id: RpcId, errorType: string, message: string): void;
  /** Ends every open request as ERROR (`reason`, default "connection closed"); later calls are ignored. Idempotent. */
  close(reason?: string): void;
  stats(): RecorderStats;
  /** Requests seen without a response yet, both directions. */
  openRequests(): number;
  /** The span context of an open request, e.g. the inbound request a sent message relates to. */
  spanContextOf(direction: RpcDirection, id: RpcId): SpanContext | undefined;
}

/** Validates {@link RpcRecorderOptions} (the redaction rules are checked by createRedactor). */
export const RpcRecorderOptionsSchema = z.object({
  sink: z.custom<SpanSink>((v) => v !== null && typeof v === 'object' && typeof (v as SpanSink).write === 'function', 'expected a SpanSink'),
  sessionId: SessionIdSchema,
  transport: z.string().min(1).max(64),
  networkTransport: z.string().min(1).max(32).optional(),
  traceId: z.string().refine(isTraceId, 'expected 32 lowercase hex').optional(),
  jsonCapBytes: z.number().int().min(64).optional(),
  propagate: z.boolean().optional(),
  onError: z.function().optional(),
  autoFlush: z.boolean().optional(),
});

/** OpenTelemetry `network.transport` for a transport name: stdio -> pipe, HTTP/SSE -> tcp. */
export function deriveNetworkTransport(transport: string): string | undefined {
  if (transport === 'stdio') return 'pipe';
  if (/http|sse/i.test(transport)) return 'tcp';
  return undefined;
}
