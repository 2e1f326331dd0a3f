import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isSessionId } from '../core/ids.js';
import { Listeners } from '../core/listeners.js';
import { metaFilePath, parseTraceDirEntry, plainTraceFilePath, traceFilePath } from './paths.js';

/** What changed for one session: its trace file, its meta file, or both are gone. */
export type TracesDirChangeKind = 'trace' | 'meta' | 'removed';

/** One change seen in the traces directory. */
export interface TracesDirChange {
  sessionId: string;
  kind: TracesDirChangeKind;
}

export interface TracesDirWatcherOptions {
  /** The traces directory; it need not exist yet (the watcher waits for it). */
  dir: string;
  /** Changes are gathered for this long, then delivered once per session and kind. Default 50 ms. */
  debounceMs?: number;
  /** Interval of the existence check and of the polling fallback. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Poll instead of using fs.watch (the fallback when fs.watch fails). Default false. */
  forcePolling?: boolean;
  /** Receives unexpected errors; the watcher keeps going. Default: ignore. */
  onError?: (err: unknown) => void;
}

/** A running watcher. Listeners never receive events after close(). */
export interface TracesDirWatcher {
  /** Adds a listener for batches of changes; returns the unsubscribe function. */
  subscribe(listener: (change: TracesDirChange) => void): () => void;
  /** `watch` (fs.watch), `poll` (fallback) or `waiting` (directory does not exist yet). */
  readonly mode: 'watch' | 'poll' | 'waiting' | 'closed';
  /** Stops watching. Idempotent. */
  close(): Promise<void>;
}

/**
 * Maps a file name in the traces directory to its session and kind: trace parts (gzip or plain)
 * and the meta record; undefined for other files (`.idx` sidecars, locks and temporary files are
 * not changes of their own).
 */
export function classifyTraceFile(name: string): { sessionId: string; kind: 'trace' | 'meta' } | undefined {
  const entry = parseTraceDirEntry(name);
  if (!entry || !isSessionId(entry.sessionId)) return undefined;
  if (entry.kind === 'trace' || entry.kind === 'plain') return { sessionId: entry.sessionId, kind: 'trace' };
  return entry.kind === 'meta' ? { sessionId: entry.sessionId, kind: 'meta' } : undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Watches a traces directory that other processes write to, and reports per-session changes:
 * `trace` when a trace part (`<id>.jsonl.gz`, `<id>.<n>.jsonl.gz`, `<id>.jsonl`) changed, `meta` when
 * `<id>.meta.json` changed,
 * `removed` when neither exists any more. Robust when the directory is missing (waits for it,
 * then reports what is in it), when it is deleted while watched, and when fs.watch fails
 * (falls back to polling sizes and mtimes).
 */
export function createTracesDirWatcher(options: TracesDirWatcherOptions): TracesDirWatcher {
  const { dir } = options;
  const debounceMs = options.debounceMs ?? 50;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const onError = options.onError ?? (() => {});
  const listeners = new Listeners<TracesDirChange>(onError);
  const pending = new Map<string, Set<'trace' | 'meta'>>();
  let snapshot = new Map<string, string>(); // file name -> "size:mtime", for polling
  let mode: TracesDirWatcher['mode'] = 'waiting';
  let fsWatcher: FSWatcher | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let tickRunning = false;
  let started = false;
  let watchedIno: number | undefined;
  const closed = () => mode === 'closed';

  const note = (name: string) => {
    const c = classifyTraceFile(name);
    if (!c) return;
    let kinds = pending.get(c.sessionId);
    if (!kinds) pending.set(c.sessionId, (kinds = new Set()));
    kinds.add(c.kind);
    // A fixed window (not reset by later events) so a steady writer cannot starve listeners.
    flushTimer ??= setTimeout(() => void flush(), debounceMs);
  };

  const flush = async () => {
    flushTimer = undefined;
    const batch = [...pending];
    pending.clear();
    for (const [sessionId, kinds] of batch) {
      const present = await Promise.all([traceFilePath(dir, sessionId), plainTraceFilePath(dir, sessionId), metaFilePath(dir, sessionId)].map(exists));
      if (mode === 'closed') return;
      const changes: TracesDirChange[] = present.some(Boolean) ? [...kinds].map((kind) => ({ sessionId, kind })) : [{ sessionId, kind: 'removed' }];
      for (const change of changes) listeners.emit(change);
    }
  };

  /** Reads the directory; notes every file whose size or mtime differs from the last scan. */
  const scan = async (report = true): Promise<boolean> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      // Gone: everything we knew about is removed.
      for (const name of snapshot.keys()) note(name);
      snapshot = new Map();
      return false;
    }
    const next = new Map<string, string>();
    for (const name of names) {
      if (!classifyTraceFile(name)) continue;
      try {
        const s = await stat(join(dir, name));
        next.set(name, `${s.size}:${s.mtimeMs}:${s.ino}`);
      } catch {
        // removed between readdir and stat: the next scan sees it
      }
    }
    if (report) {
      for (const [name, sig] of next) if (snapshot.get(name) !== sig) note(name);
      for (const name of snapshot.keys()) if (!next.has(name)) note(name);
    }
    snapshot = next;
    return true;
  };

  const startFsWatch = (): boolean => {
    try {
      fsWatcher = watch(dir, { persistent: false }, (_event, filename) => {
        if (filename) note(filename.toString());
      });
      fsWatcher.on('error', () => {
        // Typically the directory was removed; the next tick decides what to do.
        stopFsWatch();
        mode = 'waiting';
      });
      return true;
    } catch {
      return false;
    }
  };

  const stopFsWatch = () => {
    fsWatcher?.close();
    fsWatcher = undefined;
  };

  /** Runs every pollIntervalMs: moves between waiting, watch and poll; scans when polling. */
  const tick = async () => {
    if (tickRunning || mode === 'closed') return;
    tickRunning = true;
    const firstTick = !started;
    started = true;
    try {
      const ino = await stat(dir).then((st) => (st.isDirectory() ? st.ino : undefined), () => undefined);
      if (closed()) return;
      if (mode === 'watch' && ino !== watchedIno) {
        // Deleted and re-created between two ticks: the old watch sees nothing any more.
        stopFsWatch();
        mode = 'waiting';
      }
      if (ino === undefined) {
        if (mode !== 'waiting') {
          stopFsWatch();
          mode = 'waiting';
          await scan(); // reports removals
        }
        return;
      }
      if (mode === 'waiting') {
        // Present at start: nothing to report. (Re)appeared later: report what is in it.
        const watching = !options.forcePolling && startFsWatch();
        watchedIno = ino;
        if (!firstTick || !watching) {
          snapshot = new Map();
          await scan(!firstTick);
        }
        if (closed()) return;
        mode = watching ? 'watch' : 'poll';
        return;
      }
      if (mode === 'poll') await scan();
    } catch (err) {
      onError(err);
    } finally {
      tickRunning = false;
    }
  };

  const interval = setInterval(() => void tick(), pollIntervalMs);
  interval.unref();
  void tick();

  return {
    get mode() {
      return mode;
    },
    subscribe(listener) {
      return listeners.add(listener);
    },
    async close() {
      if (mode === 'closed') return;
      mode = 'closed';
      clearInterval(interval);
      if (flushTimer) clearTimeout(flushTimer);
      stopFsWatch();
      listeners.clear();
    },
  };
}
