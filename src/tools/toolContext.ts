import type { LiveState } from '../core/liveState.js';
import type { SessionMeta } from '../core/session.js';
import type { LoadedTrace } from '../catalog/loadedTrace.js';
import type { SignalResult } from '../sessions/liveSessionTypes.js';

/**
 * What the tools need from the server: implemented by the InspectorContext in server.ts.
 * Errors are InspectorErrors (INVALID_SESSION_ID, SESSION_NOT_FOUND with close matches, ...).
 */
export interface ToolContext {
  /** Upper bound of every tool result, in UTF-8 bytes of its text plus its structured content. */
  readonly byteBudget: number;
  /** Every known session, on disk and live, newest first (a live session's status, waiting_on and counts win over its record: see mergeLive). */
  listSessions(): Promise<SessionMeta[]>;
  /** One session's meta; throws INVALID_SESSION_ID or SESSION_NOT_FOUND (naming close matches). */
  getSession(sessionId: string): Promise<SessionMeta>;
  /** The session's parsed trace (empty when no span was written yet); cached by file size and mtime. */
  loadTrace(sessionId: string): Promise<LoadedTrace>;
  /** What a live session holds and waits on now; undefined when it is not live. Optional: absent, tools show no live state. */
  liveState?(sessionId: string): LiveState | undefined;
  /** Delivers a signal to a live session (UNAVAILABLE without live control, SESSION_NOT_LIVE, SESSION_NOT_FOUND...). */
  signalSession(sessionId: string, signal: string, payload?: unknown): Promise<SignalResult>;
}
