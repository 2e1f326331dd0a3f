import { watch, type FSWatcher } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../core/errors.js';
import type { SessionEvent, SessionEventInput } from '../core/events.js';
import type { LiveState } from '../core/liveState.js';
import type { SessionMeta, SessionStatus } from '../core/session.js';
import { durationMs, nowIso } from '../core/time.js';
import { createControlClient, isRefused, type ControlClient, type ControlStreamItem } from './controlClient.js';
import type { EventBus } from './eventBus.js';
import { ensurePrivateDir, isProcessAlive, liveDirPath, readRegistration, removeRegistration, type LiveRegistration } from './liveRegistration.js';
import { markSessionAbandoned } from './markSessionAbandoned.js';
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

interface Remote {
  reg: LiveRegistration;
  client: ControlClient;
  meta: SessionMeta;
  /**
   * Held items and waiters, from the state lines of its stream (sent at once on every change;
   * not from LiveStateChanged events, which a reconnecting stream replays after a fresher state).
   */
  live?: LiveState;
  lastEventId?: string;
  abort: AbortController;
  following: boolean;
  finished: boolean;
  /** Being reported abandoned (its meta is being rewritten): a second report is ignored. */
  abandoning: boolean;
  ready: Promise<void>;
  markReady: () => void;
  /** Signals in flight: the client is closed only after they are answered. */
  inflight: Set<Promise<unknown>>;
}

const READY_TIMEOUT_MS = 2000;

/**
 * Watches `<tracesDir>/live/` (fs.watch plus a periodic rescan), follows each registered
 * session's event stream over its control socket, merges the events into `bus`, and reports a
 * session whose process is gone (pid dead, or socket refusing) as `failed`/`abandoned`:
 * its meta on disk is updated, then SessionFinished is published and its registration removed.
 */
export async function watchRemoteSessions(options: RemoteSessionsOptions): Promise<RemoteSessions> {
  const { tracesDir, bus } = options;
  const log = options.log ?? (() => undefined);
  const markAbandoned = options.markAbandoned ?? markSessionAbandoned;
  const liveDir = liveDirPath(tracesDir);
  const remotes = new Map<string, Remote>();
  const ended = new Map<string, SessionStatus>();
  const listeners = new Set<() => void>();
  let closed = false;
  let scanning: Promise<void> | undefined;
  let rescanAgain = false;

  const changed = () => {
    for (const l of [...listeners]) {
      try {
        l();
      } catch (err) {
        log(`remote sessions listener failed: ${describeError(err)}`);
      }
    }
  };
  const drop = async (r: Remote, status: SessionStatus) => {
    if (remotes.get(r.reg.session_id) !== r) return;
    remotes.delete(r.reg.session_id);
    ended.set(r.reg.session_id, status);
    r.finished = true;
    r.abort.abort();
    r.markReady();
    changed();
    await Promise.allSettled([...r.inflight]);
    await r.client.close();
  };
  const abandon = async (r: Remote, why: string) => {
    if (remotes.get(r.reg.session_id) !== r || r.abandoning) return;
    r.abandoning = true;
    log(`session ${r.reg.session_id} abandoned (${why})`);
    const now = nowIso();
    // The meta on disk is final before anyone hears of the end: change listeners and event
    // subscribers may read it at once.
    await Promise.resolve(markAbandoned(tracesDir, r.reg.session_id, now)).catch((err: unknown) => log(`cannot mark ${r.reg.session_id} abandoned: ${describeError(err)}`));
    // It may have finished by itself meanwhile (markAbandoned leaves a final meta alone).
    if (remotes.get(r.reg.session_id) !== r) return;
    r.meta = { ...r.meta, status: 'failed', reason: 'abandoned', ended_at: now };
    const dropped = drop(r, 'failed');
    bus.publish({ type: 'SessionFinished', session_id: r.reg.session_id, status: 'failed', reason: 'abandoned', duration_ms: Math.max(0, durationMs(r.meta.started_at, now)) });
    await dropped;
    await removeRegistration(tracesDir, r.reg.session_id, r.reg.socket);
  };
  const onItem = (r: Remote, item: ControlStreamItem) => {
    if ('state' in item) {
      r.meta = item.state.meta;
      if (item.state.live) r.live = item.state.live;
      r.markReady();
      changed();
      return;
    }
    const { id, ...input } = item.event as SessionEvent;
    r.lastEventId = id;
    bus.publish(input as SessionEventInput & { time: string });
    if (item.event.type === 'Heartbeat') {
      // Counts stay at most one heartbeat old without asking the session for its state.
      const hb = item.event;
      const errorCount = hb.error_count ?? r.meta.error_count + hb.errors;
      if (hb.span_count !== r.meta.span_count || errorCount !== r.meta.error_count) {
        r.meta = { ...r.meta, span_count: hb.span_count, error_count: errorCount };
        changed();
      }
    }
    if (item.event.type === 'SessionFinished') {
      r.meta = { ...r.meta, status: item.event.status, ...(item.event.reason ? { reason: item.event.reason } : {}) };
      void drop(r, item.event.status);
    }
  };
  const follow = async (r: Remote) => {
    if (r.following || r.finished) return;
    r.following = true;
    let failure: unknown;
    try {
      await r.client.events(r.lastEventId, (item) => onItem(r, item), r.abort.signal);
    } catch (err) {
      failure = err;
    }
    r.following = false;
    r.markReady();
    if (closed || r.finished) return;
    if (!isProcessAlive(r.reg.pid)) await abandon(r, `process ${r.reg.pid} is gone`);
    else if (failure !== undefined && isRefused(failure)) await abandon(r, 'control socket refuses connections');
    // Otherwise the stream broke but the process lives: the next scan follows it again.
  };
  const scanOnce = async () => {
    let names: string[];
    try {
      names = await readdir(liveDir);
    } catch {
      return;
    }
    const seen = new Set<string>();
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const reg = await readRegistration(join(liveDir, name));
      if (!reg || `${reg.session_id}.json` !== name) continue;
      seen.add(reg.session_id);
      if (reg.pid === process.pid || options.isLocal?.(reg.session_id)) continue;
      const known = remotes.get(reg.session_id);
      if (known) {
        if (!isProcessAlive(known.reg.pid)) await abandon(known, `process ${known.reg.pid} is gone`);
        else void follow(known);
        continue;
      }
      let markReady!: () => void;
      const ready = new Promise<void>((resolve) => (markReady = resolve));
      const r: Remote = {
        reg, client: createControlClient(reg.socket), abort: new AbortController(), following: false, finished: false, abandoning: false, ready, markReady, inflight: new Set(),
        meta: { id: reg.session_id, title: reg.title, engine: reg.engine, status: 'running', started_at: reg.started_at, span_count: 0, error_count: 0, pid: reg.pid },
      };
      remotes.set(reg.session_id, r);
      ended.delete(reg.session_id);
      changed();
      if (!isProcessAlive(reg.pid)) await abandon(r, `process ${reg.pid} is gone`);
      else void follow(r);
    }
    // A registration removed by its owner without us seeing SessionFinished: it ended.
    for (const r of [...remotes.values()]) if (!seen.has(r.reg.session_id) && !r.following) await drop(r, r.meta.status);
  };
  const scan = (): Promise<void> => {
    if (scanning) {
      rescanAgain = true;
      return scanning;
    }
    scanning = (async () => {
      try {
        do {
          rescanAgain = false;
          await scanOnce();
        } while (rescanAgain && !closed);
      } catch (err) {
        log(`scan of ${liveDir} failed: ${describeError(err)}`);
      } finally {
        scanning = undefined;
      }
    })();
    return scanning;
  };

  await ensurePrivateDir(liveDir).catch((err: unknown) => log(describeError(err)));
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(liveDir, { persistent: false }, () => void scan());
    watcher.on('error', () => undefined);
  } catch {
    // fs.watch is unavailable here: the periodic rescan still finds sessions
  }
  const timer = setInterval(() => void scan(), Math.max(50, options.rescanMs ?? 2000));
  timer.unref();
  const waitReady = async () => {
    const pending = [...remotes.values()].map((r) => r.ready);
    await Promise.race([Promise.all(pending), new Promise((resolve) => setTimeout(resolve, READY_TIMEOUT_MS).unref())]);
  };
  await scan();
  await waitReady();

  return {
    list: () => [...remotes.values()].map((r) => r.meta),
    get: (id) => remotes.get(id)?.meta,
    liveState: (id) => remotes.get(id)?.live,
    endedStatus: (id) => ended.get(id),
    signal(id, signal, payload) {
      const r = remotes.get(id);
      if (!r) return undefined;
      const raw = r.client.signal(signal, payload);
      r.inflight.add(raw);
      void raw.then(() => r.inflight.delete(raw), () => r.inflight.delete(raw));
      return raw.then(
        (result) => {
          if (remotes.get(id) === r) {
            r.meta = { ...r.meta, status: result.status };
            changed();
          }
          return result;
        },
        async (err: unknown) => {
          if (isRefused((err as { cause?: unknown }).cause) || !isProcessAlive(r.reg.pid)) await abandon(r, 'control socket refuses connections');
          throw err;
        },
      );
    },
    async refresh() {
      await scan();
      await waitReady();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      watcher?.close();
      await scanning;
      await Promise.all([...remotes.values()].map(async (r) => { r.abort.abort(); await r.client.close(); }));
      remotes.clear();
    },
  };
}
