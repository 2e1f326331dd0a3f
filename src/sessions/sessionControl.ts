import type { SessionMeta } from '../core/session.js';
import type { EventBus } from './eventBus.js';

/** What a signal did. */
export interface SignalResult {
  session_id: string;
  signal: string;
  /** Status after the signal was applied. */
  status: SessionMeta['status'];
  /** Human-readable outcome, e.g. "released 1 held request". */
  message: string;
}

/**
 * Steering of live sessions, in this process and in other processes (DESIGN section 7).
 * Errors are InspectorErrors: SESSION_NOT_FOUND (unknown id), SESSION_NOT_LIVE (finished or
 * not steerable), UNKNOWN_SIGNAL, SIGNAL_NOT_EXPECTED (e.g. `approve` with nothing waiting),
 * INVALID_ARGUMENT (bad payload, with the validation message).
 */
export interface SessionControl {
  readonly bus: EventBus;
  /** Live sessions this control knows, local and remote, with current status. */
  listLive(): SessionMeta[];
  /** The live meta of one session, or undefined when it is not live. */
  getLive(sessionId: string): SessionMeta | undefined;
  /** Delivers a signal: pause, resume, step, cancel, approve, reject, human_input_answer or a workflow's own. */
  signal(sessionId: string, signal: string, payload?: unknown): Promise<SignalResult>;
  close(): Promise<void>;
}
