import type { LiveState, SessionRow, SessionStatus } from '../api';
import type { LiveEvent } from '../events';

const FINAL: ReadonlySet<SessionStatus> = new Set(['completed', 'failed', 'cancelled']);

/** True when a session can no longer change. */
export function isFinal(status: SessionStatus): boolean {
  return FINAL.has(status);
}

/** The list's filter: `status` may be `waiting` (paused on a signal or an approval). */
export interface ListFilter {
  status?: SessionStatus | 'waiting';
  engine?: string;
  text?: string;
}

/** Query string of `GET /_inspector/sessions` for a filter (waiting is asked as paused, then narrowed). */
export function filterQuery(filter: ListFilter, cursor?: string, limit = 100): string {
  const q = new URLSearchParams();
  if (filter.status) q.set('status', filter.status === 'waiting' ? 'paused' : filter.status);
  if (filter.engine) q.set('engine', filter.engine);
  if (filter.text) q.set('query', filter.text);
  q.set('limit', String(limit));
  if (cursor) q.set('cursor', cursor);
  return q.toString();
}

/** Whether `row` passes `filter` (the client-side check for rows the stream adds or changes). */
export function matchesFilter(row: SessionRow, filter: ListFilter): boolean {
  if (filter.status === 'waiting' ? !(row.status === 'paused' && row.waiting_on !== undefined) : filter.status !== undefined && row.status !== filter.status) return false;
  if (filter.engine && row.engine !== filter.engine) return false;
  if (filter.text) {
    const needle = filter.text.toLowerCase();
    if (!row.title.toLowerCase().includes(needle) && !row.id.toLowerCase().includes(needle)) return false;
  }
  return true;
}

/** Newest first; equal start times by id, so the order is stable. */
export function compareRows(a: SessionRow, b: SessionRow): number {
  return a.started_at < b.started_at ? 1 : a.started_at > b.started_at ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The status and `waiting_on` a live state implies for a session that is not finished. */
export function statusFromLive(live: LiveState): { status: SessionStatus; waiting_on?: string } {
  if (live.waiters.length > 0) return { status: 'paused', waiting_on: live.waiters[0]!.signal };
  if (live.held.some((h) => h.awaiting_approval)) return { status: 'paused', waiting_on: 'approve' };
  return live.paused ? { status: 'paused' } : { status: 'running' };
}

/**
 * Applies a live event to the row it concerns and returns the new row (or `undefined` when the
 * event changes nothing shown). Order-tolerant, because a reload replays events the fetched
 * rows already reflect: a finished session never changes again, counts only grow, and a
 * SessionStarted for a known row changes nothing. `row` undefined: only SessionStarted makes one.
 */
export function applyEvent(row: SessionRow | undefined, e: LiveEvent): SessionRow | undefined {
  if (e.type === 'EventsLost') return undefined;
  if (row === undefined) {
    if (e.type !== 'SessionStarted') return undefined;
    return { id: e.session_id, title: e.title, engine: e.engine as SessionRow['engine'], status: 'running', started_at: e.time, span_count: 0, error_count: 0 };
  }
  if (isFinal(row.status)) return undefined;
  const next: SessionRow = { ...row };
  switch (e.type) {
    case 'SessionStarted':
      return undefined;
    case 'SessionFinished':
      next.status = e.status;
      delete next.waiting_on;
      if (e.reason !== undefined && e.status !== 'completed') next.reason = e.reason;
      next.ended_at = e.time;
      if (e.duration_ms !== undefined) next.duration_ms = e.duration_ms;
      break;
    case 'Heartbeat':
      next.span_count = Math.max(row.span_count, e.span_count);
      if (e.error_count !== undefined) next.error_count = Math.max(row.error_count, e.error_count);
      // The heartbeat's status cannot say what the session waits on: keep waiting_on while paused.
      if (!isFinal(e.status)) {
        next.status = e.status;
        if (e.status !== 'paused') delete next.waiting_on;
      }
      break;
    case 'SessionPaused':
      next.status = 'paused';
      if (e.reason !== undefined) next.reason = e.reason;
      break;
    case 'SessionResumed':
      next.status = 'running';
      delete next.waiting_on;
      delete next.reason;
      break;
    case 'WaitingOnSignal':
      next.status = 'paused';
      next.waiting_on = e.request_id !== undefined ? 'approve' : e.signal;
      break;
    case 'LiveStateChanged': {
      const s = statusFromLive(e.live);
      next.status = s.status;
      if (s.waiting_on === undefined) delete next.waiting_on;
      else next.waiting_on = s.waiting_on;
      if (s.status === 'running') delete next.reason;
      break;
    }
    case 'SignalReceived':
      return undefined;
  }
  return sameRow(row, next) ? undefined : next;
}

function sameRow(a: SessionRow, b: SessionRow): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof SessionRow>;
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

/** Words for a status change, for the aria-live region. */
export function describeStatus(row: SessionRow): string {
  if (row.status === 'paused' && row.waiting_on !== undefined) return row.waiting_on === 'approve' ? 'waiting for approval' : `waiting on ${row.waiting_on}`;
  return row.reason && row.status !== 'running' ? `${row.status}: ${row.reason}` : row.status;
}
