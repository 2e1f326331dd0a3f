import type { LiveState } from '../core/liveState.js';
import type { SessionMeta } from '../core/session.js';
import type { Span } from '../core/span.js';
import type { SessionChange } from '../catalog/sessionChanges.js';

/** What the resources need from the server: implemented by the InspectorContext in server.ts. */
export interface ResourceContext {
  /** Upper bound of one resource read, in bytes (NDJSON traces are cut to it, with a note). */
  readonly resourceByteBudget: number;
  /** Every known session, newest first (a live session's status, waiting_on and counts win over its record: see mergeLive). */
  listSessions(): Promise<SessionMeta[]>;
  /** One session's meta; throws INVALID_SESSION_ID or SESSION_NOT_FOUND (naming close matches). */
  getSession(sessionId: string): Promise<SessionMeta>;
  /** Meta plus the bounded summary get_trace gives (as JSON-ready data), and while live what it holds and waits on. */
  describeSession(sessionId: string): Promise<{ meta: SessionMeta; summary: unknown; live?: LiveState }>;
  /** The session's spans in file order (empty when none were written yet). */
  loadTrace(sessionId: string): Promise<{ spans: readonly Span[]; stats: { corruptLines: number; truncated: boolean } }>;
  /** Listener for session changes (from the traces directory and live events); returns the unsubscribe function. */
  subscribeChanges(listener: (change: SessionChange) => void): () => void;
}
