import type { SessionMeta } from '../core/session.js';
import { parseMicros } from '../core/time.js';

/**
 * The one rule joining a session's meta on disk with its live meta: the live session knows
 * what it is doing now (status, what it waits on, its span and error counts), the disk knows
 * everything else (title, start, tags, an end once written); a field the disk lacks comes
 * from the live meta. A live session that waits on nothing has no `waiting_on`.
 */
export function mergeLive(disk: SessionMeta | undefined, live: SessionMeta | undefined): SessionMeta | undefined {
  if (!disk || !live) return live ?? disk;
  const merged: SessionMeta = { ...live, ...disk, status: live.status, span_count: live.span_count, error_count: live.error_count };
  if (live.waiting_on !== undefined) merged.waiting_on = live.waiting_on;
  else delete merged.waiting_on;
  return merged;
}

/**
 * Disk and live sessions as one list, newest `started_at` first (then id descending), each id
 * once, merged by {@link mergeLive}. Does not mutate its inputs.
 */
export function mergeSessionLists(disk: readonly SessionMeta[], live: readonly SessionMeta[]): SessionMeta[] {
  if (live.length === 0) return [...disk];
  const byId = new Map(live.map((m) => [m.id, m]));
  const merged = disk.map((m) => {
    const l = byId.get(m.id);
    if (!l) return m;
    byId.delete(m.id);
    return mergeLive(m, l)!;
  });
  if (byId.size === 0) return merged;
  merged.push(...byId.values());
  return merged.sort(newestFirst);
}

function newestFirst(a: SessionMeta, b: SessionMeta): number {
  const ta = parseMicros(a.started_at);
  const tb = parseMicros(b.started_at);
  if (ta !== tb && !Number.isNaN(ta) && !Number.isNaN(tb)) return tb - ta;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
