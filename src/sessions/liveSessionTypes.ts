import type { Engine, SessionMeta, SessionStatus } from '../core/session.js';
import type { LiveState } from '../core/liveState.js';
import type { ControlledGate, GateState } from './gateTypes.js';
import type { HoldQueue, HoldRequest } from './holdQueue.js';
import type { WaitForSignalOptions } from './signalWaiters.js';

// The shapes of a live session, apart from its implementation: the control server, the
// signal handler, the registry and the control client all name them.

/** What a signal did. */
export interface SignalResult {
  session_id: string;
  signal: string;
  /** Status after the signal was applied. */
  status: SessionMeta['status'];
  /** Human-readable outcome, e.g. "released 1 held request". */
  message: string;
}

/** Where status changes go on disk; TraceWriter fits. Failures are logged, never thrown. */
export interface StatusWriter {
  setStatus(status: SessionStatus, extra?: { waiting_on?: string; reason?: string }): unknown;
  /** The recorded meta, when the writer keeps one: its `started_at` is the session's start. */
  meta?(): SessionMeta;
}

/** Running totals of a session (heartbeats publish their deltas). */
export interface LiveSessionStats {
  requests: number;
  toolCalls: number;
  errors: number;
  spans: number;
}

/** What registerLiveSession needs to know about a session. */
export interface LiveSessionOptions {
  sessionId: string;
  title: string;
  engine: Engine;
  /** Receives every status change (the session index on disk). */
  writer?: StatusWriter;
  /** The proxy's gate (its `queue` is the session's hold queue). */
  gate?: ControlledGate;
  /** The hold queue, when there is no gate; without either, pause/resume/step/approve/reject are SIGNAL_NOT_EXPECTED. */
  queue?: HoldQueue;
  /**
   * Runs once when the session finishes, after held items and waiters were refused and before
   * SessionFinished is published (e.g. closing a trace writer the session owns, so its final meta
   * is on disk when listeners hear of the end). It may return the recording's verdict, which
   * becomes the session's final status (e.g. `failed` for a `completed` run with error spans).
   * Failures are logged.
   */
  beforeFinished?: (status: SessionStatus, reason?: string) => Promise<{ status: SessionStatus; reason?: string } | void>;
  /** Stops the session's traffic (e.g. ProxyHandle.cancel). Called once by the `cancel` signal. */
  cancel?: (reason: string) => Promise<void>;
  /** Running totals for heartbeats and meta; default all zero. */
  stats?: () => LiveSessionStats;
  /**
   * Handles `human_input_answer` and signals that are not built in (a workflow's own). Returns a
   * message, or undefined when it does not know the signal (then UNKNOWN_SIGNAL / SIGNAL_NOT_EXPECTED).
   */
  onSignal?: (signal: string, payload: unknown) => string | undefined | Promise<string | undefined>;
  /** Default now. */
  startedAt?: string;
  tags?: Record<string, string>;
}

/**
 * What the control socket serves: the meta, the live state (held items, waiters) and, for a
 * session with a JSON-RPC gate, the gate's view of the held requests (kept for older readers).
 */
export interface LiveSessionState {
  meta: SessionMeta;
  gate?: GateState;
  /** Absent only from processes older than live state. */
  live?: LiveState;
}

/** A live session of this process. */
export interface LiveSession {
  readonly sessionId: string;
  readonly finished: boolean;
  meta(): SessionMeta;
  state(): LiveSessionState;
  /** Held items, waiters, paused and cancelled now. */
  live(): LiveState;
  /**
   * Waits for the named signal (publishes WaitingOnSignal; the session reads `paused`,
   * `waiting_on: signal` meanwhile) and resolves with its payload, validated against
   * `options.schema`. Rejects when the session is cancelled or finishes first, or after `timeoutMs`.
   */
  waitForSignal(signal: string, options?: WaitForSignalOptions): Promise<unknown>;
  /**
   * A generic hold point: resolves at once or when released (resume, step, approve); rejects
   * CONFLICT (details.outcome `rejected`, with the reason) when rejected at a breakpoint, SESSION_NOT_LIVE when
   * the session is cancelled or finishes. Throws SIGNAL_NOT_EXPECTED when the session has no queue.
   */
  hold(item: Omit<HoldRequest, 'id'> & { id?: string | number }): Promise<void>;
  /** Applies a signal (see SessionControl.signal for the errors). */
  signal(signal: string, payload?: unknown): Promise<SignalResult>;
  /** Ends the session with a final status: answers anything still held, records and publishes it. Idempotent. */
  finish(status: SessionStatus, reason?: string): Promise<void>;
  /** Called after every state change (status, held requests, finish). Returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}
