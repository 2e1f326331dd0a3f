import { FINAL_STATUSES } from '../core/session.js';
import { durationMs, nowIso } from '../core/time.js';
import { assertSessionId } from '../core/ids.js';
import { metaFilePath } from '../store/paths.js';
import { readMetaFile, writeMetaFile } from '../store/metaFile.js';
import { rebuildMeta } from '../store/rebuildMeta.js';
import { settleAbandonedRequests } from '../store/settleAbandoned.js';

/**
 * Records on disk that a session's process died: the requests it left in flight are added to
 * its trace as ERROR `abandoned` spans (see settleAbandonedRequests), then its
 * `<id>.meta.json` becomes status `failed`, reason `abandoned`, with the span and error counts
 * of the trace, `ended_at` = `endedAt` (never before the trace's last span) and no `pid`.
 * A no-op when the meta is missing, unreadable or already final. Replaces the file atomically;
 * returns whether it changed it.
 */
export async function markSessionAbandoned(tracesDir: string, sessionId: string, endedAt: string = nowIso()): Promise<boolean> {
  const id = assertSessionId(sessionId);
  const path = metaFilePath(tracesDir, id);
  const meta = await readMetaFile(path);
  if (!meta || FINAL_STATUSES.has(meta.status)) return false;
  await settleAbandonedRequests(tracesDir, id);
  // The meta's counts lag the trace by up to a second of flushes: count the trace itself.
  const counted = await rebuildMeta(tracesDir, id, meta);
  const ended = counted.ended_at !== undefined && counted.ended_at > endedAt ? counted.ended_at : endedAt;
  const { pid: _pid, waiting_on: _waiting, ...rest } = counted;
  await writeMetaFile(path, { ...rest, status: 'failed', reason: 'abandoned', ended_at: ended, duration_ms: Math.max(0, durationMs(meta.started_at, ended)) });
  return true;
}
