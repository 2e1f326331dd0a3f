import { isSessionId } from '../core/ids.js';

export const SESSIONS_URI = 'inspector://sessions';
export const SESSION_URI_TEMPLATE = 'inspector://sessions/{session_id}';
export const TRACE_URI_TEMPLATE = 'inspector://traces/{session_id}';

/** URI of a session's meta and summary. */
export const sessionUri = (id: string) => `inspector://sessions/${id}`;
/** URI of a session's NDJSON trace. */
export const traceUri = (id: string) => `inspector://traces/${id}`;

/** What an inspector URI names, or undefined when it is not one of ours (or the id is malformed). */
export function parseInspectorUri(uri: string): { kind: 'sessions' } | { kind: 'session' | 'trace'; sessionId: string } | undefined {
  if (uri === SESSIONS_URI) return { kind: 'sessions' };
  const m = /^inspector:\/\/(sessions|traces)\/([^/?#]+)$/.exec(uri);
  if (!m) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(m[2]!);
  } catch {
    return undefined; // malformed %-escape
  }
  if (!isSessionId(id)) return undefined;
  return { kind: m[1] === 'sessions' ? 'session' : 'trace', sessionId: id };
}
