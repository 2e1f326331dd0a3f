import { stat } from 'node:fs/promises';
import { isErrorKind, OutcomeTally, sessionOutcome } from '../core/outcome.js';
import type { SessionMeta } from '../core/session.js';
import { durationMs, formatMicros } from '../core/time.js';
import { readSpans } from './traceReader.js';
import { findTraceParts } from './traceParts.js';
import { isProcessAlive } from './processAlive.js';

/** True when the meta describes a session whose writer process still runs. */
export function isLive(meta: SessionMeta): boolean {
  return (meta.status === 'running' || meta.status === 'paused') && meta.pid !== undefined && isProcessAlive(meta.pid);
}

/**
 * Rebuilds a session's meta from its trace (one streaming read): span and real error counts
 * (see spanOutcome), the outcome (a completed session with errors is `failed`), first
 * start and last end. `base` is the stale meta when there is one (its title, engine, tags and
 * final status are kept); without it the title is the id and the engine `proxy`. A session
 * that was running when its writer died becomes `failed` with reason `abandoned`; without a
 * meta, so does a trace with a torn tail (others count as `completed`).
 */
export async function rebuildMeta(tracesDir: string, sessionId: string, base?: SessionMeta): Promise<SessionMeta> {
  const spans = readSpans(tracesDir, sessionId);
  let spanCount = 0;
  let errorCount = 0;
  const tally = new OutcomeTally();
  let first: string | undefined;
  let last: string | undefined;
  try {
    for await (const span of spans) {
      spanCount++;
      if (isErrorKind(tally.add(span).kind)) errorCount++;
      if (first === undefined || span.start_time < first) first = span.start_time;
      if (last === undefined || span.end_time > last) last = span.end_time;
    }
  } catch {
    // unreadable: keep what was counted
  }
  const unfinished = base ? base.status === 'running' || base.status === 'paused' : spans.stats.truncated;
  const started = base?.started_at ?? first ?? (await traceTime(tracesDir, sessionId));
  const meta: SessionMeta = {
    id: sessionId,
    title: base?.title ?? sessionId,
    engine: base?.engine ?? 'proxy',
    status: unfinished ? 'failed' : (base?.status ?? 'completed'),
    started_at: started,
    span_count: spanCount,
    error_count: errorCount,
  };
  const outcome = sessionOutcome(unfinished ? { status: 'failed', reason: 'abandoned' } : { status: meta.status, ...(base?.reason !== undefined ? { reason: base.reason } : {}) }, tally);
  meta.status = outcome.status;
  if (outcome.reason !== undefined) meta.reason = outcome.reason;
  if (base?.tags) meta.tags = base.tags;
  const ended = base?.ended_at !== undefined && (last === undefined || base.ended_at >= last) ? base.ended_at : (last ?? started);
  meta.ended_at = ended;
  meta.duration_ms = Math.max(0, durationMs(started, ended)) || 0;
  return meta;
}

async function traceTime(tracesDir: string, sessionId: string): Promise<string> {
  const parts = await findTraceParts(tracesDir, sessionId);
  const path = parts.gz[0] ?? parts.plain;
  const ms = path ? await stat(path).then((s) => s.mtimeMs, () => Date.now()) : Date.now();
  return formatMicros(ms * 1000);
}
