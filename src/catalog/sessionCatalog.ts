import { describeError, InspectorError } from '../core/errors.js';
import { assertSessionId } from '../core/ids.js';
import type { LiveState } from '../core/liveState.js';
import { FINAL_STATUSES, type SessionMeta } from '../core/session.js';
import type { SessionControl } from '../sessions/sessionControl.js';
import type { SignalResult } from '../sessions/liveSessionTypes.js';
import { createSessionIndex, type SessionIndex } from '../store/sessionIndex.js';
import type { LoadedTrace } from './loadedTrace.js';
import { mergeLive, mergeSessionLists } from './mergeLive.js';
import { createSessionChanges, type SessionChange } from './sessionChanges.js';
import { querySessions, type SessionFilter, type SessionPage } from './sessionQuery.js';
import { steerSession } from './steerSession.js';
import { didYouMean } from './suggestIds.js';
import { createTraceCache } from './traceCache.js';
import { summarizeTrace, type TraceSummary } from './traceSummary.js';

/** The part of the store's SessionIndex the catalog reads. */
export type SessionIndexLike = Pick<SessionIndex, 'list' | 'get'>;

/** Options of {@link createSessionCatalog}. */
export interface SessionCatalogOptions {
  /** Directory of the trace files; need not exist yet. */
  tracesDir: string;
  /** Live sessions (this process's and others'); without it the catalog lists recorded sessions only. */
  control?: SessionControl;
  /** Recorded sessions. Default: the store's index over `tracesDir`. */
  index?: SessionIndexLike;
  /** Watch the traces directory so subscribers hear of its changes. Default true. */
  watch?: boolean;
  /** Where problems are reported, one line each. Default: dropped. */
  log?: (line: string) => void;
}

/**
 * Every session, recorded and live, and their traces: the one place edges (tools, resources,
 * the gateway, the CLI) read sessions from. A session both on disk and live is merged by
 * {@link mergeLive}. Errors are InspectorErrors: INVALID_SESSION_ID, SESSION_NOT_FOUND (naming
 * close matches), INVALID_ARGUMENT / INVALID_CURSOR for bad filters.
 */
export interface SessionCatalog {
  readonly tracesDir: string;
  readonly control?: SessionControl;
  /** Every known session, newest first. */
  list(): Promise<SessionMeta[]>;
  /** A filtered page of {@link list} (see querySessions). */
  query(filter?: SessionFilter): Promise<SessionPage>;
  /** One session's merged meta, or undefined when neither the disk nor the live sessions know it. */
  find(sessionId: string): Promise<SessionMeta | undefined>;
  /** One session's merged meta; throws SESSION_NOT_FOUND naming close matches. */
  get(sessionId: string): Promise<SessionMeta>;
  /**
   * One session's merged meta and, while it is live, what it holds and waits on (the live state
   * of CONTRACTS: held items, waiters, paused, cancelled). Throws SESSION_NOT_FOUND like `get`.
   */
  detail(sessionId: string): Promise<SessionDetail>;
  /** What a live session holds and waits on now; undefined when it is not live (or not known). */
  liveState(sessionId: string): LiveState | undefined;
  /** The session's parsed trace (empty when no span was written yet); cached by file identity. */
  loadTrace(sessionId: string): Promise<LoadedTrace>;
  /** Meta plus the summary view of its trace, fitted to `byteBudget`. */
  describe(sessionId: string, byteBudget: number): Promise<{ meta: SessionMeta; summary: TraceSummary; live?: LiveState }>;
  /**
   * Delivers a signal to a live session (see steerSession): UNAVAILABLE without a control,
   * SESSION_NOT_LIVE for a recorded session that no longer runs, SESSION_NOT_FOUND (with close
   * matches) for an unknown id; the control's own errors pass through.
   */
  signal(sessionId: string, signal: string, payload?: unknown): Promise<SignalResult>;
  /** Listens to session changes (traces directory and live events); returns the unsubscribe function. */
  subscribe(listener: (change: SessionChange) => void): () => void;
  /** Stops watching (the control stays open: its owner closes it). Idempotent. */
  close(): Promise<void>;
}

/** A session with its live state (absent when the session is not live). */
export interface SessionDetail {
  session: SessionMeta;
  live?: LiveState;
}

/** Creates the catalog over `options.tracesDir` (and `options.control` when given). */
export function createSessionCatalog(options: SessionCatalogOptions): SessionCatalog {
  const { tracesDir, control } = options;
  const log = options.log ?? (() => undefined);
  const index = options.index ?? createSessionIndex(tracesDir);
  const cache = createTraceCache({ tracesDir });
  const changes = createSessionChanges({
    tracesDir, log, ...(control ? { bus: control.bus } : {}),
    ...(options.watch === undefined ? {} : { watch: options.watch }),
    onRemoved: (id) => cache.invalidate(id),
  });

  const list = async (): Promise<SessionMeta[]> => {
    const disk = await index.list();
    changes.learn(disk.map((m) => m.id));
    return mergeSessionLists(disk, control?.listLive() ?? []);
  };
  const find = async (sessionId: string): Promise<SessionMeta | undefined> => {
    const id = assertSessionId(sessionId);
    const live = control?.getLive(id);
    return mergeLive(await index.get(id), live);
  };
  const get = async (sessionId: string): Promise<SessionMeta> => {
    const meta = await find(sessionId);
    if (meta) return meta;
    const ids = (await list()).map((m) => m.id);
    throw new InspectorError('SESSION_NOT_FOUND', `no session ${JSON.stringify(sessionId)} (${ids.length} session${ids.length === 1 ? '' : 's'} known).${didYouMean(sessionId, ids)}`);
  };
  // Warm the index and learn the known ids in the background, so the first change of a new session is announced as `added`.
  if (options.watch !== false || control) list().catch((err: unknown) => log(`inspector: listing ${tracesDir} failed: ${describeError(err)}`));

  return {
    tracesDir,
    ...(control ? { control } : {}),
    list,
    query: async (filter) => querySessions(await list(), filter),
    find,
    get,
    async detail(sessionId) {
      const session = await get(sessionId);
      const live = FINAL_STATUSES.has(session.status) ? undefined : control?.getLiveState(session.id);
      return live ? { session, live } : { session };
    },
    liveState: (id) => control?.getLiveState(id),
    loadTrace: (id) => cache.get(id),
    async describe(sessionId, byteBudget) {
      const meta = await get(sessionId);
      const trace = await cache.get(meta.id);
      const summary = summarizeTrace(meta, trace, byteBudget).summary;
      const live = FINAL_STATUSES.has(meta.status) ? undefined : control?.getLiveState(meta.id);
      return live ? { meta, summary, live } : { meta, summary };
    },
    signal: (id, signal, payload) => steerSession({ control, find, get }, id, signal, payload),
    subscribe: (listener) => changes.subscribe(listener),
    close: () => changes.close(),
  };
}
