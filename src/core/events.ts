import { z } from 'zod';
import { EngineSchema, SessionIdSchema, SessionStatusSchema } from './session.js';
import { LiveStateSchema } from './liveState.js';
import { TimestampSchema } from './span.js';

const base = {
  /** Monotonic, unique across restarts of the process that assigned it: `<boot>-<seq>`. */
  id: z.string(),
  time: TimestampSchema,
  session_id: SessionIdSchema,
};

export const SessionStartedSchema = z.object({
  ...base,
  type: z.literal('SessionStarted'),
  title: z.string(),
  engine: EngineSchema,
});
export const SessionFinishedSchema = z.object({
  ...base,
  type: z.literal('SessionFinished'),
  status: SessionStatusSchema,
  reason: z.string().optional(),
  duration_ms: z.number().nonnegative().optional(),
});
export const HeartbeatSchema = z.object({
  ...base,
  type: z.literal('Heartbeat'),
  status: SessionStatusSchema,
  /** Counts since the previous heartbeat. */
  requests: z.number().int().nonnegative(),
  tool_calls: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  span_count: z.number().int().nonnegative(),
  /** Real errors so far (a total, unlike `errors`); absent from older writers. */
  error_count: z.number().int().nonnegative().optional(),
});
export const WaitingOnSignalSchema = z.object({
  ...base,
  type: z.literal('WaitingOnSignal'),
  signal: z.string(),
  prompt: z.string().optional(),
  /** JSON Schema of the payload the signal should carry. */
  schema: z.record(z.string(), z.unknown()).optional(),
  /** What is held, e.g. the JSON-RPC request id and method of a breakpoint. */
  request_id: z.union([z.string(), z.number()]).optional(),
  method: z.string().optional(),
});
export const SignalReceivedSchema = z.object({
  ...base,
  type: z.literal('SignalReceived'),
  signal: z.string(),
  payload: z.unknown().optional(),
});
export const SessionPausedSchema = z.object({
  ...base,
  type: z.literal('SessionPaused'),
  reason: z.string().optional(),
});
export const SessionResumedSchema = z.object({
  ...base,
  type: z.literal('SessionResumed'),
});
/**
 * What a live session holds and waits on changed (held items, waiters, paused, cancelled).
 * Coalesced: at most about one per 100 ms per session, carrying the state after the last change.
 */
export const LiveStateChangedSchema = z.object({
  ...base,
  type: z.literal('LiveStateChanged'),
  live: LiveStateSchema,
});

/** Live events (DESIGN section 2), as carried on the bus, over SSE and between processes. */
export const SessionEventSchema = z.discriminatedUnion('type', [
  SessionStartedSchema,
  SessionFinishedSchema,
  HeartbeatSchema,
  WaitingOnSignalSchema,
  SignalReceivedSchema,
  SessionPausedSchema,
  SessionResumedSchema,
  LiveStateChangedSchema,
]);
export type SessionEvent = z.infer<typeof SessionEventSchema>;
export type SessionEventType = SessionEvent['type'];
/** An event before the bus assigns its `id` and `time`. */
export type SessionEventInput = SessionEvent extends infer E ? (E extends SessionEvent ? Omit<E, 'id' | 'time'> : never) : never;

/** Signal names every live session understands (a workflow may wait on its own names too). */
export const BUILTIN_SIGNALS = ['pause', 'resume', 'step', 'cancel', 'human_input_answer', 'approve', 'reject'] as const;
export type BuiltinSignal = (typeof BUILTIN_SIGNALS)[number];
