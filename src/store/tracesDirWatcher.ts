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
  return new DirWatcher(options);
}

class DirWatcher implements TracesDirWatcher {
  mode: TracesDirWatcher['mode'] = 'waiting';
  private readonly dir: string;
  private readonly debounceMs: number;
  private readonly onError: (err: unknown) => void;
  private readonly listeners: Listeners<TracesDirChange>;
  private readonly pending = new Map<string, Set<'trace' | 'meta'>>();
  /** File name -> "size:mtime:ino", for polling. */
  private snapshot = new Map<string, string>();
  private fsWatcher: FSWatcher | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private tickRunning = false;
  private started = false;
  private watchedIno: number | undefined;
  private readonly interval: NodeJS.Timeout;

  constructor(private readonly options: TracesDirWatcherOptions) {
    this.dir = options.dir;
    this.debounceMs = options.debounceMs ?? 50;
    this.onError = options.onError ?? (() => {});
    this.listeners = new Listeners<TracesDirChange>(this.onError);
    this.interval = setInterval(() => void this.tick(), options.pollIntervalMs ?? 1000);
    this.interval.unref();
    void this.tick();
  }

  subscribe(listener: (change: TracesDirChange) => void): () => void {
    return this.listeners.add(listener);
  }

  async close(): Promise<void> {
    if (this.mode === 'closed') return;
    this.mode = 'closed';
    clearInterval(this.interval);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.stopFsWatch();
    this.listeners.clear();
  }

  /** A method, not a narrowed field read: close() may run during any await. */
  private closed(): boolean {
    return this.mode === 'closed';
  }

  private note(name: string): void {
    const c = classifyTraceFile(name);
    if (!c) return;
    let kinds = this.pending.get(c.sessionId);
    if (!kinds) this.pending.set(c.sessionId, (kinds = new Set()));
    kinds.add(c.kind);
    // A fixed window (not reset by later events) so a steady writer cannot starve listeners.
    this.flushTimer ??= setTimeout(() => void this.flush(), this.debounceMs);
  }

  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    const batch = [...this.pending];
    this.pending.clear();
    const dir = this.dir;
    for (const [sessionId, kinds] of batch) {
      const present = await Promise.all([traceFilePath(dir, sessionId), plainTraceFilePath(dir, sessionId), metaFilePath(dir, sessionId)].map(exists));
      if (this.closed()) return;
      const changes: TracesDirChange[] = present.some(Boolean) ? [...kinds].map((kind) => ({ sessionId, kind })) : [{ sessionId, kind: 'removed' }];
      for (const change of changes) this.listeners.emit(change);
    }
  }

  /** Reads the directory; notes every file whose size or mtime differs from the last scan. */
  private async scan(report = true): Promise<boolean> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      // Gone: everything we knew about is removed.
      for (const name of this.snapshot.keys()) this.note(name);
      this.snapshot = new Map();
      return false;
    }
    const next = new Map<string, string>();
    for (const name of names) {
      if (!classifyTraceFile(name)) continue;
      try {
        const s = await stat(join(this.dir, name));
        next.set(name, `${s.size}:${s.mtimeMs}:${s.ino}`);
      } catch {
        // removed between readdir and stat: the next scan sees it
      }
    }
    if (report) {
      for (const [name, sig] of next) if (this.snapshot.get(name) !== sig) this.note(name);
      for (const name of this.snapshot.keys()) if (!next.has(name)) this.note(name);
    }
    this.snapshot = next;
    return true;
  }

  private startFsWatch(): boolean {
    try {
      this.fsWatcher = watch(this.dir, { persistent: false }, (_event, filename) => {
        if (filename) this.note(filename.toString());
      });
      this.fsWatcher.on('error', () => {
        // Typically the directory was removed; the next tick decides what to do.
        this.stopFsWatch();
        this.mode = 'waiting';
      });
      return true;
    } catch {
      return false;
    }
  }

  private stopFsWatch(): void {
    this.fsWatcher?.close();
    this.fsWatcher = undefined;
  }

  /** Runs every pollIntervalMs: moves between waiting, watch and poll; scans when polling. */
  private async tick(): Promise<void> {
    if (this.tickRunning || this.mode === 'closed') return;
    this.tickRunning = true;
    const firstTick = !this.started;
    this.started = true;
    try {
      const ino = await stat(this.dir).then((st) => (st.isDirectory() ? st.ino : undefined), () => undefined);
      if (this.closed()) return;
      if (this.mode === 'watch' && ino !== this.watchedIno) {
        // Deleted and re-created between two ticks: the old watch sees nothing any more.
        this.stopFsWatch();
        this.mode = 'waiting';
      }
      if (ino === undefined) {
        if (this.mode !== 'waiting') {
          this.stopFsWatch();
          this.mode = 'waiting';
          await this.scan(); // reports removals
        }
        return;
      }
      if (this.mode === 'waiting') await this.arrive(ino, firstTick);
      else if (this.mode === 'poll') await this.scan();
    } catch (err) {
      this.onError(err);
    } finally {
      this.tickRunning = false;
    }
  }

  /** The directory is there: watch it (or poll). Present at start: nothing to report; (re)appeared later: report what is in it. */
  private async arrive(ino: number, firstTick: boolean): Promise<void> {
    const watching = !this.options.forcePolling && this.startFsWatch();
    this.watchedIno = ino;
    if (!firstTick || !watching) {
      this.snapshot = new Map();
      await this.scan(!firstTick);
    }
    if (this.closed()) return;
    this.mode = watching ? 'watch' : 'poll';
  }
}
