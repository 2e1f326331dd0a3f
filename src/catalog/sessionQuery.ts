import { firstIssue } from '../core/zodIssues.js';
import { z } from 'zod';
import { InspectorError } from '../core/errors.js';
import { EngineSchema, SessionStatusSchema, type Engine, type SessionMeta, type SessionStatus } from '../core/session.js';
import { parseMicros } from '../core/time.js';
import { decodeOpaque, encodeOpaque, queryFingerprint } from './pageCursor.js';

/** Default page size of {@link querySessions}. */
export const DEFAULT_SESSION_LIMIT = 50;
/** Largest page size of {@link querySessions}. */
export const MAX_SESSION_LIMIT = 500;

/**
 * Filters of a session listing (`list_sessions`, `GET /_inspector/sessions`). Every field is optional.
 * - `status` / `engine`: one value or several (any of them matches).
 * - `query`: case-insensitive substring of the id, title, reason, waiting_on or a tag key/value.
 * - `has_errors`: true for sessions with real errors (error_count > 0, see spanOutcome) or that
 *   ended `failed`; false for the others.
 * - `since` / `until`: RFC 3339 bounds on `started_at` (`since` inclusive, `until` exclusive).
 * - `limit`: page size, 1-500, default 50. `cursor`: the `next_cursor` of the previous page.
 */
export interface SessionFilter {
  status?: SessionStatus | SessionStatus[];
  engine?: Engine | Engine[];
  query?: string;
  has_errors?: boolean;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

/** A page of sessions, newest first; `next_cursor` is present when more sessions match. */
export interface SessionPage {
  sessions: SessionMeta[];
  next_cursor?: string;
}

/** zod schema of {@link SessionFilter} for edges that validate their input with it. */
export const SessionFilterSchema = z
  .object({
    status: z.union([SessionStatusSchema, z.array(SessionStatusSchema).max(5)]).optional(),
    engine: z.union([EngineSchema, z.array(EngineSchema).max(4)]).optional(),
    query: z.string().max(200).optional(),
    has_errors: z.boolean().optional(),
    since: z.string().max(64).optional(),
    until: z.string().max(64).optional(),
    limit: z.number().int().min(1).max(MAX_SESSION_LIMIT).optional(),
    cursor: z.string().max(512).optional(),
  })
  .strict();

const CursorSchema = z.object({ v: z.literal(1), s: z.string(), i: z.string(), f: z.string() }).strict();

/**
 * Filters, sorts (newest `started_at` first, then id descending) and pages `metas`.
 * Cursors are opaque, tied to the filter they were issued for, and stable when sessions are
 * added (keyset pagination). Throws InspectorError INVALID_ARGUMENT for a bad filter and
 * INVALID_CURSOR for a cursor that is malformed or from another filter. Does not mutate `metas`.
 */
export function querySessions(metas: SessionMeta[], filter: SessionFilter = {}): SessionPage {
  const parsed = SessionFilterSchema.safeParse(filter);
  if (!parsed.success) throw new InspectorError('INVALID_ARGUMENT', `invalid session filter: ${firstIssue(parsed.error, 'filter')}`);
  const f = parsed.data;
  const since = bound('since', f.since);
  const until = bound('until', f.until);
  const statuses = f.status === undefined ? undefined : new Set([f.status].flat());
  const engines = f.engine === undefined ? undefined : new Set([f.engine].flat());
  const needle = f.query?.trim().toLowerCase() || undefined;
  const fingerprint = filterFingerprint(f);
  const after = f.cursor === undefined ? undefined : decodeCursor(f.cursor, fingerprint);

  const matching = metas.filter((m) => {
    if (statuses && !statuses.has(m.status)) return false;
    if (engines && !engines.has(m.engine)) return false;
    if (f.has_errors !== undefined && hasErrors(m) !== f.has_errors) return false;
    const started = parseMicros(m.started_at);
    if (since !== undefined && !(started >= since)) return false;
    if (until !== undefined && !(started < until)) return false;
    return needle === undefined || haystack(m).includes(needle);
  });
  matching.sort(compareNewestFirst);
  const start = after === undefined ? 0 : firstAfter(matching, after);
  const limit = f.limit ?? DEFAULT_SESSION_LIMIT;
  const sessions = matching.slice(start, start + limit);
  const last = sessions[sessions.length - 1];
  if (start + limit < matching.length && last) {
    return { sessions, next_cursor: encodeCursor({ v: 1, s: last.started_at, i: last.id, f: fingerprint }) };
  }
  return { sessions };
}

/** A session with real errors, or one that ended abnormally. */
export function hasErrors(m: SessionMeta): boolean {
  return m.error_count > 0 || m.status === 'failed';
}

function bound(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const micros = parseMicros(value);
  if (Number.isNaN(micros)) throw new InspectorError('INVALID_ARGUMENT', `invalid ${name} ${JSON.stringify(value)}: expected an RFC 3339 timestamp`);
  return micros;
}

function haystack(m: SessionMeta): string {
  const tags = m.tags ? Object.entries(m.tags).flat() : [];
  return [m.id, m.title, m.reason ?? '', m.waiting_on ?? '', ...tags].join('\n').toLowerCase();
}

function compareNewestFirst(a: SessionMeta, b: SessionMeta): number {
  return compareKey(b.started_at, b.id, a.started_at, a.id);
}

/** Orders (started_at, id) pairs ascending; timestamps compare by instant, not by text. */
function compareKey(sa: string, ia: string, sb: string, ib: string): number {
  const ta = parseMicros(sa);
  const tb = parseMicros(sb);
  if (ta !== tb) return (Number.isNaN(ta) ? 0 : ta) - (Number.isNaN(tb) ? 0 : tb);
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

/** Index of the first session strictly after the cursor position in newest-first order. */
function firstAfter(sorted: SessionMeta[], cursor: { s: string; i: string }): number {
  const idx = sorted.findIndex((m) => compareKey(m.started_at, m.id, cursor.s, cursor.i) < 0);
  return idx === -1 ? sorted.length : idx;
}

function filterFingerprint(f: z.infer<typeof SessionFilterSchema>): string {
  return queryFingerprint([[f.status ?? []].flat().sort(), [f.engine ?? []].flat().sort(), f.query?.trim().toLowerCase() ?? '', f.since ?? '', f.until ?? '', f.has_errors ?? '']);
}

function encodeCursor(cursor: z.infer<typeof CursorSchema>): string {
  return encodeOpaque(cursor);
}

function decodeCursor(value: string, fingerprint: string): { s: string; i: string } {
  const cursor = CursorSchema.safeParse(decodeOpaque(value));
  if (!cursor.success || Number.isNaN(parseMicros(cursor.data.s))) {
    throw new InspectorError('INVALID_CURSOR', 'invalid cursor: pass the next_cursor of a previous page unchanged');
  }
  if (cursor.data.f !== fingerprint) {
    throw new InspectorError('INVALID_CURSOR', 'invalid cursor: it was issued for different filters; repeat the same filters or drop the cursor');
  }
  return cursor.data;
}
