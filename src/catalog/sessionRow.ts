import { z } from 'zod';
import { shownReason, type SessionMeta } from '../core/session.js';
import { clipText } from './clipText.js';

/** One session as tools show it: the meta without internals (pid, tags), long texts cut. */
export const SessionRowSchema = z.object({
  id: z.string(),
  title: z.string(),
  engine: z.string(),
  status: z.string(),
  waiting_on: z.string().optional(),
  reason: z.string().optional(),
  started_at: z.string(),
  ended_at: z.string().optional(),
  duration_ms: z.number().optional(),
  span_count: z.number().int(),
  error_count: z.number().int(),
  /** Spans the OTLP export dropped (only when some were). */
  otlp_dropped: z.number().int().optional(),
});
export type SessionRow = z.infer<typeof SessionRowSchema>;

/**
 * The listing row of a session (title and reason cut to keep rows small). The reason is shown
 * only where it explains something (failed, cancelled, paused): how a completed session's
 * connection ended is not news.
 */
export function sessionRow(m: SessionMeta): SessionRow {
  const row: SessionRow = { id: m.id, title: clipText(m.title, 100), engine: m.engine, status: m.status, started_at: m.started_at, span_count: m.span_count, error_count: m.error_count };
  if (m.waiting_on !== undefined) row.waiting_on = m.waiting_on;
  const reason = shownReason(m);
  if (reason !== undefined) row.reason = clipText(reason, 160);
  if (m.ended_at !== undefined) row.ended_at = m.ended_at;
  if (m.duration_ms !== undefined) row.duration_ms = m.duration_ms;
  if (m.otlp_dropped !== undefined) row.otlp_dropped = m.otlp_dropped;
  return row;
}
