import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InspectorError } from '../core/errors.js';
import { readMetaFile } from './metaFile.js';
import { metaFilePath, parseTraceDirEntry } from './paths.js';
import { isLive } from './rebuildMeta.js';

/** Default number of days a session is kept. */
export const DEFAULT_RETENTION_DAYS = 7;

/** Temp files a writer leaves if it dies mid-write (meta, a new part, a lock). */
const TEMP_FILE = /^([A-Za-z0-9_-]{6,128})\.(?:meta\.json|(?:\d{1,6}\.)?jsonl\.gz|lock)\.[^/]*\.tmp$/;
/** The open-request sidecar, its temp files and claims (see inflightSidecar, settleAbandoned). */
const INFLIGHT = /^([A-Za-z0-9_-]{6,128})\.inflight\.json(?:\.[^/]*\.(?:tmp|claim))?$/;
const DAY_MS = 86_400_000;

/**
 * Deletes every session whose files were all last modified more than `days` days before `now`
 * (default 7 days; 0 turns retention off): its trace parts, their indexes, leftover temp
 * files, and its meta last (so a half-deleted session is never listed without its trace
 * being rebuilt). Never deletes a session whose writer process is alive. Returns the ids
 * deleted. Throws INVALID_ARGUMENT for a negative or non-finite `days`.
 */
export async function applyRetention(tracesDir: string, options: { days?: number; now?: number } = {}): Promise<{ deleted: string[] }> {
  const days = options.days ?? DEFAULT_RETENTION_DAYS;
  if (typeof days !== 'number' || !Number.isFinite(days) || days < 0) {
    throw new InspectorError('INVALID_ARGUMENT', `retention days must be a number >= 0, got ${String(days)}`);
  }
  if (days === 0) return { deleted: [] };
  const cutoff = (options.now ?? Date.now()) - days * DAY_MS;
  let names: string[];
  try {
    names = await readdir(tracesDir);
  } catch {
    return { deleted: [] };
  }
  const files = new Map<string, string[]>();
  for (const name of names) {
    const id = parseTraceDirEntry(name)?.sessionId ?? TEMP_FILE.exec(name)?.[1] ?? INFLIGHT.exec(name)?.[1];
    if (id === undefined) continue;
    let list = files.get(id);
    if (!list) files.set(id, (list = []));
    list.push(name);
  }
  const deleted: string[] = [];
  for (const [id, list] of files) {
    const mtimes = await Promise.all(list.map((n) => stat(join(tracesDir, n)).then((s) => s.mtimeMs, () => 0)));
    if (Math.max(...mtimes) >= cutoff) continue;
    const meta = await readMetaFile(metaFilePath(tracesDir, id));
    if (meta && isLive(meta)) continue;
    const metaName = `${id}.meta.json`;
    for (const name of list.filter((n) => n !== metaName)) await unlink(join(tracesDir, name)).catch(() => undefined);
    if (list.includes(metaName)) await unlink(join(tracesDir, metaName)).catch(() => undefined);
    deleted.push(id);
  }
  return { deleted: deleted.sort() };
}
