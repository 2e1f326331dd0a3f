import type { SessionMeta } from '../core/session.js';
import type { Span } from '../core/span.js';
import type { SessionControl } from '../sessions/sessionControl.js';

/** Read statistics of one trace file, as the trace reader reports them. */
export interface TraceStats {
  spans: number;
  corruptLines: number;
  truncated: boolean;
}

/**
 * One session's spans, parsed once and shared by every tool call until the file changes.
 * `spans` is in file order (the order spans ended). `memo` caches values derived from the
 * spans (indexes, aggregates) for as long as this trace stays cached.
 */
export interface LoadedTrace {
  readonly sessionId: string;
  readonly spans: readonly Span[];
  readonly stats: TraceStats;
  /** Identity of the file contents this was read from (size and mtime). */
  readonly version: string;
  memo<T>(key: string, compute: () => T): T;
}

/**
 * What the tools need from the server: implemented by the InspectorContext in server.ts.
 * Errors are InspectorErrors (INVALID_SESSION_ID, SESSION_NOT_FOUND with close matches, ...).
 */
export interface ToolContext {
  /** Upper bound of every tool result, in UTF-8 bytes of its text plus its structured content. */
  readonly byteBudget: number;
  /** Live-session control; absent when the server only reads traces. */
  readonly control?: SessionControl;
  /** Every known session, on disk and live (live status wins), newest first. */
  listSessions(): Promise<SessionMeta[]>;
  /** One session's meta; throws INVALID_SESSION_ID or SESSION_NOT_FOUND (naming close matches). */
  getSession(sessionId: string): Promise<SessionMeta>;
  /** The session's parsed trace (empty when no span was written yet); cached by file size and mtime. */
  loadTrace(sessionId: string): Promise<LoadedTrace>;
}
