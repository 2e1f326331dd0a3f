import { readFileSync, statSync, type Stats } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { assertSessionId } from '../core/ids.js';
import type { SessionMeta } from '../core/session.js';
import { parseMicros } from '../core/time.js';
import { parseMeta, writeMetaFile } from './metaFile.js';
import { metaFilePath, parseTraceDirEntry, plainTraceFilePath, traceFilePath } from './paths.js';
import { isLive, rebuildMeta } from './rebuildMeta.js';
import { isProcessAlive } from './processAlive.js';
import { settleAbandonedRequests } from './settleAbandoned.js';

/** Lists sessions from their small meta records, never by decompressing every trace. */
export interface SessionIndex {
  /** Every session of the directory, newest first (by started_at, then id). Empty when the directory is missing. */
  list(): Promise<SessionMeta[]>;
  /** One session's meta, or undefined when it has neither meta nor trace. Throws INVALID_SESSION_ID. */
  get(sessionId: string): Promise<SessionMeta | undefined>;
  /** Forgets cached records (of one session, or all) so the next call re-reads them. */
  invalidate(sessionId?: string): void;
}

interface Entry {
  meta: SessionMeta;
  /** Stat key of the meta file this entry was read from (undefined: rebuilt without one). */
  metaKey?: string;
  /** Stat key of the last trace part when the entry was rebuilt from the trace. */
  traceKey?: string;
  sortKey: number;
}

/** What the directory listing says about one session. */
interface Presence {
  meta: boolean;
  parts: number;
  plain: boolean;
}

/** A directory unchanged for this long before a scan started may be served from the cache. */
const SETTLE_MS = 50;
/** Files stat-ed between two yields to the event loop. */
const CHUNK = 500;

/**
 * Creates the index of a traces directory. `list` caches metas by the stat of their files and
 * serves a warm listing from memory while the directory's mtime is unchanged (writers replace
 * metas by rename, which changes it); it re-checks live writers' pids each time. A meta that
 * is missing, invalid, older than its trace (for a session not live) or running with a dead
 * pid (-> `failed`, `abandoned`) is rebuilt from the trace and written back (best effort).
 */
export function createSessionIndex(tracesDir: string): SessionIndex {
  const entries = new Map<string, Entry>();
  let dirMtimeMs = -1;
  let scanStartedAt = 0;
  let sorted: Entry[] | undefined;

  async function scan(): Promise<Entry[]> {
    const started = Date.now();
    let dirStat: Stats | undefined;
    try {
      dirStat = statSync(tracesDir);
    } catch {
      entries.clear();
      sorted = undefined;
      return [];
    }
    if (sorted && dirStat.mtimeMs === dirMtimeMs && dirMtimeMs < scanStartedAt - SETTLE_MS) {
      if (sorted.some((e) => e.meta.pid !== undefined && !isProcessAlive(e.meta.pid))) {
        for (const e of sorted) {
          if (e.meta.pid !== undefined && !isLive(e.meta)) entries.set(e.meta.id, await rebuild(e.meta.id, e.meta, e.metaKey === undefined ? {} : { metaKey: e.metaKey }));
        }
        sorted = sortEntries([...entries.values()]);
      }
      return sorted;
    }
    const names = await readdir(tracesDir).catch(() => [] as string[]);
    const present = new Map<string, Presence>();
    for (const name of names) {
      const e = parseTraceDirEntry(name);
      if (!e || e.kind === 'index' || e.kind === 'lock') continue;
      let p = present.get(e.sessionId);
      if (!p) present.set(e.sessionId, (p = { meta: false, parts: 0, plain: false }));
      if (e.kind === 'meta') p.meta = true;
      else if (e.kind === 'plain') p.plain = true;
      else p.parts = Math.max(p.parts, e.part + 1);
    }
    for (const id of entries.keys()) if (!present.has(id)) entries.delete(id);
    let n = 0;
    for (const [id, p] of present) {
      if (++n % CHUNK === 0) await yieldToLoop();
      const entry = await resolve(id, p);
      if (entry) entries.set(id, entry);
      else entries.delete(id);
    }
    dirMtimeMs = dirStat.mtimeMs;
    scanStartedAt = started;
    sorted = sortEntries([...entries.values()]);
    return sorted;
  }

  /** The current entry of one session; reuses the cached one when its files are unchanged. */
  async function resolve(id: string, p: Presence): Promise<Entry | undefined> {
    const cached = entries.get(id);
    const metaPath = metaFilePath(tracesDir, id);
    const metaStat = p.meta ? statSync(metaPath, { throwIfNoEntry: false }) : undefined;
    if (metaStat) {
      const key = statKey(metaStat);
      if (cached?.metaKey === key) return cached.meta.pid !== undefined && !isLive(cached.meta) ? rebuild(id, cached.meta, { metaKey: key }) : cached;
      let meta: SessionMeta | undefined;
      try {
        meta = parseMeta(readFileSync(metaPath, 'utf8'));
      } catch {
        meta = undefined;
      }
      if (meta && meta.id === id) {
        if (isLive(meta)) return entry(meta, key);
        const traceStat = lastTraceStat(id, p);
        const stale = meta.pid !== undefined || (traceStat !== undefined && traceStat.mtimeMs > metaStat.mtimeMs);
        return stale ? rebuild(id, meta, { metaKey: key }) : entry(meta, key);
      }
    }
    const traceStat = lastTraceStat(id, p);
    if (!traceStat) return undefined;
    const traceKey = statKey(traceStat);
    if (cached && cached.metaKey === undefined && cached.traceKey === traceKey) return cached;
    return rebuild(id, undefined, { traceKey });
  }

  function lastTraceStat(id: string, p: Presence): Stats | undefined {
    const path = p.parts > 0 ? traceFilePath(tracesDir, id, p.parts - 1) : p.plain ? plainTraceFilePath(tracesDir, id) : undefined;
    return path === undefined ? undefined : statSync(path, { throwIfNoEntry: false });
  }

  /**
   * Rebuilds from the trace and writes the result back. When that write fails (read-only
   * directory) the entry stays keyed to the stale meta, so the trace is not re-read every scan.
   */
  async function rebuild(id: string, base: SessionMeta | undefined, keys: { metaKey?: string; traceKey?: string }): Promise<Entry> {
    // A dead writer's in-flight requests join the trace first, so the count includes them.
    await settleAbandonedRequests(tracesDir, id);
    const meta = await rebuildMeta(tracesDir, id, base);
    const saved = await writeMetaFile(metaFilePath(tracesDir, id), meta).then(() => true, () => false);
    const e = entry(meta, saved ? undefined : keys.metaKey);
    if (keys.traceKey !== undefined) e.traceKey = keys.traceKey;
    return e;
  }

  return {
    async list() {
      return (await scan()).map((e) => copyMeta(e.meta));
    },
    async get(sessionId) {
      const id = assertSessionId(sessionId);
      let parts = 0;
      while (statSync(traceFilePath(tracesDir, id, parts), { throwIfNoEntry: false })) parts++;
      const p: Presence = {
        meta: statSync(metaFilePath(tracesDir, id), { throwIfNoEntry: false }) !== undefined,
        parts,
        plain: parts === 0 && statSync(plainTraceFilePath(tracesDir, id), { throwIfNoEntry: false }) !== undefined,
      };
      const e = await resolve(id, p);
      if (!e) {
        entries.delete(id);
        return undefined;
      }
      if (entries.get(id) !== e) {
        entries.set(id, e);
        sorted = undefined;
      }
      return copyMeta(e.meta);
    },
    invalidate(sessionId) {
      if (sessionId === undefined) entries.clear();
      else entries.delete(assertSessionId(sessionId));
      sorted = undefined;
    },
  };
}

function entry(meta: SessionMeta, metaKey?: string): Entry {
  const e: Entry = { meta, sortKey: parseMicros(meta.started_at) };
  if (metaKey !== undefined) e.metaKey = metaKey;
  return e;
}

function statKey(st: Stats): string {
  return `${st.mtimeMs}:${st.size}:${st.ino}`;
}

function sortEntries(list: Entry[]): Entry[] {
  return list.sort((a, b) => b.sortKey - a.sortKey || (a.meta.id < b.meta.id ? 1 : a.meta.id > b.meta.id ? -1 : 0));
}

function copyMeta(meta: SessionMeta): SessionMeta {
  return meta.tags ? { ...meta, tags: { ...meta.tags } } : { ...meta };
}
