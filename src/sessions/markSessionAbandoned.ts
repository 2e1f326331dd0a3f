import { readFile, rename, writeFile } from 'node:fs/promises';
import { SessionMetaSchema } from '../core/session.js';
import { FINAL_STATUSES } from '../core/session.js';
import { durationMs, nowIso } from '../core/time.js';
import { join } from 'node:path';
import { assertSessionId } from '../core/ids.js';

/**
 * Records on disk that a session's process died: its `<id>.meta.json` becomes status `failed`,
 * reason `abandoned`, with `ended_at` now and no `pid`. A no-op when the meta is missing,
 * unreadable or already final. Replaces the file atomically; returns whether it changed it.
 */
export async function markSessionAbandoned(tracesDir: string, sessionId: string, endedAt: string = nowIso()): Promise<boolean> {
  // The store's layout (DESIGN section 4): `<tracesDir>/<id>.meta.json`.
  const path = join(tracesDir, `${assertSessionId(sessionId)}.meta.json`);
  let meta;
  try {
    const parsed = SessionMetaSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (!parsed.success) return false;
    meta = parsed.data;
  } catch {
    return false;
  }
  if (FINAL_STATUSES.has(meta.status)) return false;
  const { pid: _pid, waiting_on: _waiting, ...rest } = meta;
  const updated = { ...rest, status: 'failed' as const, reason: 'abandoned', ended_at: endedAt, duration_ms: Math.max(0, durationMs(meta.started_at, endedAt)) };
  const tmp = `${path}.${process.pid}.abandoned.tmp`;
  await writeFile(tmp, `${JSON.stringify(updated)}\n`, { mode: 0o600 });
  await rename(tmp, path);
  return true;
}
