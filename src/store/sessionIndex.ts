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
  return new DirSessionIndex(tracesDir);
}

class DirSessionIndex implements SessionIndex {
  private readonly entries = new Map<string, Entry>();
  private dirMtimeMs = -1;
  private scanStartedAt = 0;
  private sorted: Entry[] | undefined;

  constructor(private readonly tracesDir: string) {}

  private async scan(): Promise<Entry[]> {
    const started = Date.now();
    let dirStat: Stats | undefined;
    try {
      dirStat = statSync(this.tracesDir);
    } catch {
      this.entries.clear();
      this.sorted = undefined;
      return [];
    }
    if (this.sorted && dirStat.mtimeMs === this.dirMtimeMs && this.dirMtimeMs < this.scanStartedAt - SETTLE_MS) {
      if (this.sorted.some((e) => e.meta.pid !== undefined && !isProcessAlive(e.meta.pid))) {
        for (const e of this.sorted) {
          if (e.meta.pid !== undefined && !isLive(e.meta)) this.entries.set(e.meta.id, await this.rebuild(e.meta.id, e.meta, e.metaKey === undefined ? {} : { metaKey: e.metaKey }));
        }
        this.sorted = sortEntries([...this.entries.values()]);
      }
      return this.sorted;
    }
    const names = await readdir(this.tracesDir).catch(() => [] as string[]);
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
    for (const id of this.entries.keys()) if (!present.has(id)) this.entries.delete(id);
    let n = 0;
    for (const [id, p] of present) {
      if (++n % CHUNK === 0) await yieldToLoop();
      const entry = await this.resolve(id, p);
      if (entry) this.entries.set(id, entry);
      else this.entries.delete(id);
    }
    this.dirMtimeMs = dirStat.mtimeMs;
    this.scanStartedAt = started;
    this.sorted = sortEntries([...this.entries.values()]);
    return this.sorted;
  }

  /** The current entry of one session; reuses the cached one when its files are unchanged. */
  private async resolve(id: string, p: Presence): Promise<Entry | undefined> {
    const cached = this.entries.get(id);
    const metaPath = metaFilePath(this.tracesDir, id);
    const metaStat = p.meta ? statSync(metaPath, { throwIfNoEntry: false }) : undefined;
    if (metaStat) {
      const key = statKey(metaStat);
      if (cached?.metaKey === key) return cached.meta.pid !== undefined && !isLive(cached.meta) ? this.rebuild(id, cached.meta, { metaKey: key }) : cached;
      let meta: SessionMeta | undefined;
      try {
        meta = parseMeta(readFileSync(metaPath, 'utf8'));
      } catch {
        meta = undefined;
      }
      if (meta && meta.id === id) {
        if (isLive(meta)) return entry(meta, key);
        const traceStat = this.lastTraceStat(id, p);
        const stale = meta.pid !== undefined || (traceStat !== undefined && traceStat.mtimeMs > metaStat.mtimeMs);
        return stale ? this.rebuild(id, meta, { metaKey: key }) : entry(meta, key);
      }
    }
    const traceStat = this.lastTraceStat(id, p);
    if (!traceStat) return undefined;
    const traceKey = statKey(traceStat);
    if (cached && cached.metaKey === undefined && cached.traceKey === traceKey) return cached;
    return this.rebuild(id, undefined, { traceKey });
  }

  private lastTraceStat(id: string, p: Presence): Stats | undefined {
    const path = p.parts > 0 ? traceFilePath(this.tracesDir, id, p.parts - 1) : p.plain ? plainTraceFilePath(this.tracesDir, id) : undefined;
    return path === undefined ? undefined : statSync(path, { throwIfNoEntry: false });
  }

  /**
   * Rebuilds from the trace and writes the result back. When that write fails (read-only
   * directory) the entry stays keyed to the stale meta, so the trace is not re-read every scan.
   */
  private async rebuild(id: string, base: SessionMeta | undefined, keys: { metaKey?: string; traceKey?: string }): Promise<Entry> {
    // A dead writer's in-flight requests join the trace first, so the count includes them.
    await settleAbandonedRequests(this.tracesDir, id);
    const meta = await rebuildMeta(this.tracesDir, id, base);
    const saved = await writeMetaFile(metaFilePath(this.tracesDir, id), meta).then(() => true, () => false);
    const e = entry(meta, saved ? undefined : keys.metaKey);
    if (keys.traceKey !== undefined) e.traceKey = keys.traceKey;
    return e;
  }

  async list(): Promise<SessionMeta[]> {
    return (await this.scan()).map((e) => copyMeta(e.meta));
  }

  async get(sessionId: string): Promise<SessionMeta | undefined> {
    const id = assertSessionId(sessionId);
    let parts = 0;
    while (statSync(traceFilePath(this.tracesDir, id, parts), { throwIfNoEntry: false })) parts++;
    const p: Presence = {
      meta: statSync(metaFilePath(this.tracesDir, id), { throwIfNoEntry: false }) !== undefined,
      parts,
      plain: parts === 0 && statSync(plainTraceFilePath(this.tracesDir, id), { throwIfNoEntry: false }) !== undefined,
    };
    const e = await this.resolve(id, p);
    if (!e) {
      this.entries.delete(id);
      return undefined;
    }
    if (this.entries.get(id) !== e) {
      this.entries.set(id, e);
      this.sorted = undefined;
    }
    return copyMeta(e.meta);
  }

  invalidate(sessionId?: string): void {
    if (sessionId === undefined) this.entries.clear();
    else this.entries.delete(assertSessionId(sessionId));
    this.sorted = undefined;
  }
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
