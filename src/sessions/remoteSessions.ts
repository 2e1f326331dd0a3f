import { watch, type FSWatcher } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../core/errors.js';
import { Listeners } from '../core/listeners.js';
import type { SessionEvent, SessionEventInput } from '../core/events.js';
import type { LiveState } from '../core/liveState.js';
import type { SessionMeta, SessionStatus } from '../core/session.js';
import { durationMs, nowIso } from '../core/time.js';
import { isProcessAlive } from '../store/processAlive.js';
import { isRefused, type ControlStreamItem } from './controlClient.js';
import type { EventBus } from './eventBus.js';
import { ensurePrivateDir, liveDirPath, readRegistration, removeRegistration, type LiveRegistration } from './liveRegistration.js';
import { markSessionAbandoned } from './markSessionAbandoned.js';
import { newRemote, type Remote } from './remoteSession.js';
import type { SignalResult } from './liveSessionTypes.js';

/** Options of {@link watchRemoteSessions}. */
export interface RemoteSessionsOptions {
  tracesDir: string;
  /** Remote events are re-published here (their time kept, a new id assigned). */
  bus: EventBus;
  /** Period of the rescan and liveness check that backs up fs.watch. Default 2000 ms. */
  rescanMs?: number;
  /** Ids to leave alone (sessions of this process). Default: registrations with this process's pid are skipped. */
  isLocal?: (sessionId: string) => boolean;
  /** Records an abandoned session on disk. Default markSessionAbandoned. */
  markAbandoned?: (tracesDir: string, sessionId: string, endedAt: string) => Promise<unknown>;
  log?: (line: string) => void;
}

/** Live sessions of other processes, discovered under `<tracesDir>/live/`. */
export interface RemoteSessions {
  list(): SessionMeta[];
  get(sessionId: string): SessionMeta | undefined;
  /** What a remote session holds and waits on, as its process last reported. */
  liveState(sessionId: string): LiveState | undefined;
  /** The final status of a remote session that ended while watched. */
  endedStatus(sessionId: string): SessionStatus | undefined;
  /** Forwards a signal; undefined when the session is not a known remote one. */
  signal(sessionId: string, signal: string, payload?: unknown): Promise<SignalResult> | undefined;
  /** Scans now and waits (bounded) until new registrations answered their first state. */
  refresh(): Promise<void>;
  /** Called after every change of the list or of a status. Returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 2000;

/**
 * Watches `<tracesDir>/live/` (fs.watch plus a periodic rescan), follows each registered
 * session's event stream over its control socket, merges the events into `bus`, and reports a
 * session whose process is gone (pid dead, or socket refusing) as `failed`/`abandoned`:
 * its meta on disk is updated, then SessionFinished is published and its registration removed.
 */
export async function watchRemoteSessions(options: RemoteSessionsOptions): Promise<RemoteSessions> {
  const watcher = new RemoteSessionWatcher(options);
  await watcher.start();
  return watcher;
}

/** Public methods are arrow fields: callers may take them off the watcher. */
class RemoteSessionWatcher implements RemoteSessions {
  private readonly tracesDir: string;
  private readonly bus: EventBus;
  private readonly log: (line: string) => void;
  private readonly markAbandoned: NonNullable<RemoteSessionsOptions['markAbandoned']>;
  private readonly liveDir: string;
  private readonly remotes = new Map<string, Remote>();
  private readonly ended = new Map<string, SessionStatus>();
  private readonly listeners: Listeners<void>;
  private closed = false;
  private scanning: Promise<void> | undefined;
  private rescanAgain = false;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RemoteSessionsOptions) {
    this.tracesDir = options.tracesDir;
    this.bus = options.bus;
    this.log = options.log ?? (() => undefined);
    this.markAbandoned = options.markAbandoned ?? markSessionAbandoned;
    this.liveDir = liveDirPath(this.tracesDir);
    this.listeners = new Listeners<void>((err) => this.log(`remote sessions listener failed: ${describeError(err)}`));
  }

  async start(): Promise<void> {
    await ensurePrivateDir(this.liveDir).catch((err: unknown) => this.log(describeError(err)));
    try {
      this.watcher = watch(this.liveDir, { persistent: false }, () => void this.scan());
      this.watcher.on('error', () => undefined);
    } catch {
      // fs.watch is unavailable here: the periodic rescan still finds sessions
    }
    this.timer = setInterval(() => void this.scan(), Math.max(50, this.options.rescanMs ?? 2000));
    this.timer.unref();
    await this.scan();
    await this.waitReady();
  }

  readonly list = (): SessionMeta[] => [...this.remotes.values()].map((r) => r.meta);
  readonly get = (id: string): SessionMeta | undefined => this.remotes.get(id)?.meta;
  readonly liveState = (id: string): LiveState | undefined => this.remotes.get(id)?.live;
  readonly endedStatus = (id: string): SessionStatus | undefined => this.ended.get(id);

  readonly signal = (id: string, signal: string, payload?: unknown): Promise<SignalResult> | undefined => {
    const r = this.remotes.get(id);
    if (!r) return undefined;
    const raw = r.client.signal(signal, payload);
    r.inflight.add(raw);
    void raw.then(() => r.inflight.delete(raw), () => r.inflight.delete(raw));
    return raw.then(
      (result) => {
        if (this.remotes.get(id) === r) {
          r.meta = { ...r.meta, status: result.status };
          this.changed();
        }
        return result;
      },
      async (err: unknown) => {
        if (isRefused((err as { cause?: unknown }).cause) || !isProcessAlive(r.reg.pid)) await this.abandon(r, 'control socket refuses connections');
        throw err;
      },
    );
  };

  readonly refresh = async (): Promise<void> => {
    await this.scan();
    await this.waitReady();
  };

  readonly onChange = (listener: () => void): (() => void) => this.listeners.add(listener);

  readonly close = async (): Promise<void> => {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.watcher?.close();
    await this.scanning;
    await Promise.all([...this.remotes.values()].map(async (r) => { r.abort.abort(); await r.client.close(); }));
    this.remotes.clear();
  };

  private changed(): void {
    this.listeners.emit();
  }

  private async waitReady(): Promise<void> {
    const pending = [...this.remotes.values()].map((r) => r.ready);
    await Promise.race([Promise.all(pending), new Promise((resolve) => setTimeout(resolve, READY_TIMEOUT_MS).unref())]);
  }

  private async drop(r: Remote, status: SessionStatus): Promise<void> {
    if (this.remotes.get(r.reg.session_id) !== r) return;
    this.remotes.delete(r.reg.session_id);
    this.ended.set(r.reg.session_id, status);
    r.finished = true;
    r.abort.abort();
    r.markReady();
    this.changed();
    await Promise.allSettled([...r.inflight]);
    await r.client.close();
  }

  private async abandon(r: Remote, why: string): Promise<void> {
    if (this.remotes.get(r.reg.session_id) !== r || r.abandoning) return;
    r.abandoning = true;
    this.log(`session ${r.reg.session_id} abandoned (${why})`);
    const now = nowIso();
    // The meta on disk is final before anyone hears of the end: change listeners and event
    // subscribers may read it at once.
    await Promise.resolve(this.markAbandoned(this.tracesDir, r.reg.session_id, now)).catch((err: unknown) => this.log(`cannot mark ${r.reg.session_id} abandoned: ${describeError(err)}`));
    // It may have finished by itself meanwhile (markAbandoned leaves a final meta alone).
    if (this.remotes.get(r.reg.session_id) !== r) return;
    r.meta = { ...r.meta, status: 'failed', reason: 'abandoned', ended_at: now };
    const dropped = this.drop(r, 'failed');
    this.bus.publish({ type: 'SessionFinished', session_id: r.reg.session_id, status: 'failed', reason: 'abandoned', duration_ms: Math.max(0, durationMs(r.meta.started_at, now)) });
    await dropped;
    await removeRegistration(this.tracesDir, r.reg.session_id, r.reg.socket);
  }

  private onItem(r: Remote, item: ControlStreamItem): void {
    if ('state' in item) {
      r.meta = item.state.meta;
      if (item.state.live) r.live = item.state.live;
      r.markReady();
      this.changed();
      return;
    }
    const { id, ...input } = item.event as SessionEvent;
    r.lastEventId = id;
    this.bus.publish(input as SessionEventInput & { time: string });
    if (item.event.type === 'Heartbeat') {
      // Counts stay at most one heartbeat old without asking the session for its state.
      const hb = item.event;
      const errorCount = hb.error_count ?? r.meta.error_count + hb.errors;
      if (hb.span_count !== r.meta.span_count || errorCount !== r.meta.error_count) {
        r.meta = { ...r.meta, span_count: hb.span_count, error_count: errorCount };
        this.changed();
      }
    }
    if (item.event.type === 'SessionFinished') {
      r.meta = { ...r.meta, status: item.event.status, ...(item.event.reason ? { reason: item.event.reason } : {}) };
      void this.drop(r, item.event.status);
    }
  }

  private async follow(r: Remote): Promise<void> {
    if (r.following || r.finished) return;
    r.following = true;
    let failure: unknown;
    try {
      await r.client.events(r.lastEventId, (item) => this.onItem(r, item), r.abort.signal);
    } catch (err) {
      failure = err;
    }
    r.following = false;
    r.markReady();
    if (this.closed || r.finished) return;
    if (!isProcessAlive(r.reg.pid)) await this.abandon(r, `process ${r.reg.pid} is gone`);
    else if (failure !== undefined && isRefused(failure)) await this.abandon(r, 'control socket refuses connections');
    // Otherwise the stream broke but the process lives: the next scan follows it again.
  }

  private scan(): Promise<void> {
    if (this.scanning) {
      this.rescanAgain = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      try {
        do {
          this.rescanAgain = false;
          await this.scanOnce();
        } while (this.rescanAgain && !this.closed);
      } catch (err) {
        this.log(`scan of ${this.liveDir} failed: ${describeError(err)}`);
      } finally {
        this.scanning = undefined;
      }
    })();
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.liveDir);
    } catch {
      return;
    }
    const seen = new Set<string>();
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const reg = await readRegistration(join(this.liveDir, name));
      if (!reg || `${reg.session_id}.json` !== name) continue;
      seen.add(reg.session_id);
      if (reg.pid === process.pid || this.options.isLocal?.(reg.session_id)) continue;
      await this.visit(reg);
    }
    // A registration removed by its owner without us seeing SessionFinished: it ended.
    for (const r of [...this.remotes.values()]) if (!seen.has(r.reg.session_id) && !r.following) await this.drop(r, r.meta.status);
  }

  /** A registration found by a scan: follows it (again), or reports it abandoned when its process is gone. */
  private async visit(reg: LiveRegistration): Promise<void> {
    let r = this.remotes.get(reg.session_id);
    if (!r) {
      r = newRemote(reg);
      this.remotes.set(reg.session_id, r);
      this.ended.delete(reg.session_id);
      this.changed();
    }
    if (!isProcessAlive(r.reg.pid)) await this.abandon(r, `process ${r.reg.pid} is gone`);
    else void this.follow(r);
  }
}
