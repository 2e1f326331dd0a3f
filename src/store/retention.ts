import { readdir, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InspectorError } from '../core/errors.js';
import { readMetaFile } from './metaFile.js';
import { metaFilePath, parseTraceDirEntry } from './paths.js';
import { isLive } from './rebuildMeta.js';
import { isSessionLocked } from './sessionLock.js';

/** Default number of days a session is kept after its last write. */
export const DEFAULT_RETENTION_DAYS = 30;
/** Default limit on the traces directory's total size, in MiB (oldest sessions go first). */
export const DEFAULT_RETENTION_MAX_MB = 2048;

/** Temp files a writer leaves if it dies mid-write (meta, a new part, a lock). */
const TEMP_FILE = /^([A-Za-z0-9_-]{6,128})\.(?:meta\.json|(?:\d{1,6}\.)?jsonl\.gz|lock)\.[^/]*\.tmp$/;
/** The open-request sidecar, its temp files and claims (see inflightSidecar, settleAbandoned). */
const INFLIGHT = /^([A-Za-z0-9_-]{6,128})\.inflight\.json(?:\.[^/]*\.(?:tmp|claim))?$/;
const DAY_MS = 86_400_000;

/** Options of {@link applyRetention}. */
export interface RetentionOptions {
  /** Sessions whose files were all last written more than this many days ago go (default 30; 0: no age limit). */
  days?: number;
  /** Then the oldest sessions go until the sessions' files total at most this many bytes (default: no size limit). */
  maxBytes?: number;
  /** The current time, for tests. */
  now?: number;
}

/** One session's files on disk. */
interface SessionFiles {
  id: string;
  names: string[];
  newest: number;
  bytes: number;
}

/**
 * Deletes whole sessions: first every session whose files were all last modified more than
 * `days` days before `now`, then, while the sessions' files total more than `maxBytes`, the
 * session least recently written. Deleting a session removes its trace parts, their indexes,
 * leftover temp files and sidecars, and its meta last (so a half-deleted session is never
 * listed without its trace being rebuilt). Never deletes a session whose writer process is
 * alive, nor any file that is not a session's. Returns the ids deleted and the bytes freed.
 * Throws INVALID_ARGUMENT for a negative or non-finite limit.
 */
export async function applyRetention(tracesDir: string, options: RetentionOptions = {}): Promise<{ deleted: string[]; freedBytes: number }> {
  const days = checkLimit('retention days', options.days ?? DEFAULT_RETENTION_DAYS);
  const maxBytes = options.maxBytes === undefined ? undefined : checkLimit('retention size', options.maxBytes);
  const sessions = await listSessionFiles(tracesDir);
  const cutoff = (options.now ?? Date.now()) - days * DAY_MS;
  const deleted: string[] = [];
  let freedBytes = 0;
  let total = sessions.reduce((sum, s) => sum + s.bytes, 0);
  // Least recently written first: the age pass and the size pass take sessions in this order.
  sessions.sort((a, b) => a.newest - b.newest);
  for (const session of sessions) {
    const tooOld = days > 0 && session.newest < cutoff;
    const overSize = maxBytes !== undefined && total > maxBytes;
    if (!tooOld && !overSize) continue;
    if (!(await deleteSession(tracesDir, session))) continue;
    deleted.push(session.id);
    freedBytes += session.bytes;
    total -= session.bytes;
  }
  return { deleted: deleted.sort(), freedBytes };
}

function checkLimit(what: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InspectorError('INVALID_ARGUMENT', `${what} must be a number >= 0, got ${String(value)}`);
  }
  return value;
}

/** The sessions in `tracesDir` with their files, newest mtime and total size; none when it is unreadable. */
async function listSessionFiles(tracesDir: string): Promise<SessionFiles[]> {
  let names: string[];
  try {
    names = await readdir(tracesDir);
  } catch {
    return [];
  }
  const byId = new Map<string, SessionFiles>();
  for (const name of names) {
    const id = parseTraceDirEntry(name)?.sessionId ?? TEMP_FILE.exec(name)?.[1] ?? INFLIGHT.exec(name)?.[1];
    if (id === undefined) continue;
    let entry = byId.get(id);
    if (!entry) byId.set(id, (entry = { id, names: [], newest: 0, bytes: 0 }));
    entry.names.push(name);
    const st = await stat(join(tracesDir, name)).catch(() => undefined);
    if (st) {
      entry.newest = Math.max(entry.newest, st.mtimeMs);
      entry.bytes += st.size;
    }
  }
  return [...byId.values()];
}

/** Deletes one session's files, meta last; false (nothing deleted) when its writer is alive (by its meta or its lock). */
async function deleteSession(tracesDir: string, session: SessionFiles): Promise<boolean> {
  const meta = await readMetaFile(metaFilePath(tracesDir, session.id));
  if ((meta && isLive(meta)) || isSessionLocked(tracesDir, session.id)) return false;
  const metaName = basename(metaFilePath(tracesDir, session.id));
  for (const name of session.names.filter((n) => n !== metaName)) await unlink(join(tracesDir, name)).catch(() => undefined);
  if (session.names.includes(metaName)) await unlink(join(tracesDir, metaName)).catch(() => undefined);
  return true;
}
