import { z } from 'zod';
import { SESSION_ID_PATTERN } from './ids.js';
import { TimestampSchema } from './span.js';

export const EngineSchema = z.enum(['proxy', 'inbound', 'client', 'workflow', 'otlp']);
export type Engine = z.infer<typeof EngineSchema>;

export const SessionStatusSchema = z.enum(['running', 'paused', 'completed', 'failed', 'cancelled']);
export type SessionStatus = z.infer<typeof SessionStatusSchema>;

/** Statuses after which a session never changes again. */
export const FINAL_STATUSES: ReadonlySet<SessionStatus> = new Set(['completed', 'failed', 'cancelled']);

export const SessionIdSchema = z.string().regex(SESSION_ID_PATTERN, "expected 6-128 characters of A-Z, a-z, 0-9, '_' or '-'");

/** The small per-session record that listing reads instead of the trace (DESIGN section 2). */
export const SessionMetaSchema = z.object({
  id: SessionIdSchema,
  title: z.string(),
  engine: EngineSchema,
  status: SessionStatusSchema,
  /** The signal a paused session waits on, when it waits on one. */
  waiting_on: z.string().optional(),
  /** Why a session failed or was cancelled (`abandoned` when its process died). */
  reason: z.string().optional(),
  started_at: TimestampSchema,
  ended_at: TimestampSchema.optional(),
  duration_ms: z.number().nonnegative().optional(),
  span_count: z.number().int().nonnegative(),
  error_count: z.number().int().nonnegative(),
  tags: z.record(z.string(), z.string()).optional(),
  /** Spans recorded to the file but not delivered to the OTLP export (queue full, collector slow or down). */
  otlp_dropped: z.number().int().nonnegative().optional(),
  /** Process id of the writer while the session is live; lets readers detect abandoned sessions. */
  pid: z.number().int().positive().optional(),
});
export type SessionMeta = z.infer<typeof SessionMetaSchema>;

/**
 * The reason views show for a session: why it failed, was cancelled or is paused. A completed
 * or running session's reason (how its connection ended) is kept in the meta but is not news.
 */
export function shownReason(meta: Pick<SessionMeta, 'status' | 'reason'>): string | undefined {
  return meta.status === 'completed' || meta.status === 'running' ? undefined : meta.reason;
}
