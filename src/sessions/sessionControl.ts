import { InspectorError } from '../core/errors.js';
import { assertSessionId } from '../core/ids.js';
import type { LiveState } from '../core/liveState.js';
import type { SessionMeta } from '../core/session.js';
import type { EventBus } from './eventBus.js';
import { createLiveSessionRegistry, type LiveSessionRegistry } from './liveSessionRegistry.js';
import type { SignalResult } from './liveSessionTypes.js';
import { watchRemoteSessions } from './remoteSessions.js';

/**
 * Steering of live sessions, in this process and in other processes (DESIGN section 7).
 * Errors are InspectorErrors: SESSION_NOT_FOUND (not live here), SESSION_NOT_LIVE (seen to
 * finish, or not steerable), UNKNOWN_SIGNAL, SIGNAL_NOT_EXPECTED (e.g. `approve` with nothing waiting),
 * INVALID_ARGUMENT (bad payload, with the validation message).
 */
export interface SessionControl {
  readonly bus: EventBus;
  /** Live sessions this control knows, local and remote, with current status. */
  listLive(): SessionMeta[];
  /** The live meta of one session, or undefined when it is not live. */
  getLive(sessionId: string): SessionMeta | undefined;
  /** What a live session holds and waits on now (held items, waiters), or undefined when it is not live. */
  getLiveState(sessionId: string): LiveState | undefined;
  /** Delivers a signal: pause, resume, step, cancel, approve, reject, human_input_answer or a workflow's own. */
  signal(sessionId: string, signal: string, payload?: unknown): Promise<SignalResult>;
  close(): Promise<void>;
}

/** Options of {@link createLocalSessionControl}. */
export interface LocalSessionControlOptions {
  /** The sessions of this process. */
  registry: LiveSessionRegistry;
}

/** Options of {@link createSessionControl}. */
export interface SessionControlOptions {
  tracesDir: string;
  bus: EventBus;
  /** Sessions of this process (default: a new empty registry on `bus`). */
  registry?: LiveSessionRegistry;
  /** Rescan/liveness period of the discovery of other processes' sessions. Default 2000 ms. */
  rescanMs?: number;
  log?: (line: string) => void;
}

/** A SessionControl that also discovers other processes; `refresh` rescans `<tracesDir>/live/` now. */
export interface DiscoveringSessionControl extends SessionControl {
  readonly registry: LiveSessionRegistry;
  refresh(): Promise<void>;
}

const ENDED_MEMORY = 10_000;

function endedTracker(bus: EventBus): { status(id: string): SessionMeta['status'] | undefined; stop(): void } {
  const ended = new Map<string, SessionMeta['status']>();
  const stop = bus.subscribe((e) => {
    if (e.type !== 'SessionFinished') return;
    ended.set(e.session_id, e.status);
    if (ended.size > ENDED_MEMORY) ended.delete(ended.keys().next().value!);
  });
  return { status: (id) => ended.get(id), stop };
}

/**
 * SESSION_NOT_LIVE for a session this control saw end, else SESSION_NOT_FOUND: whether a
 * recorded session exists is the catalog's question (see steerSession), not the control's.
 */
function notLiveError(sessionId: string, endedStatus: string | undefined): InspectorError {
  if (endedStatus) return new InspectorError('SESSION_NOT_LIVE', `session ${sessionId} is not live: it ended ${endedStatus}`);
  return new InspectorError('SESSION_NOT_FOUND', `no live session ${sessionId}`);
}

/** Steering of this process's live sessions only. `close` finishes nothing (the registry owns its sessions). */
export function createLocalSessionControl(options: LocalSessionControlOptions): SessionControl {
  const { registry } = options;
  const ended = endedTracker(registry.bus);
  return {
    bus: registry.bus,
    listLive: () => registry.list().map((s) => s.meta()),
    getLive: (id) => registry.get(id)?.meta(),
    getLiveState: (id) => registry.get(id)?.live(),
    async signal(sessionId, signal, payload) {
      const id = assertSessionId(sessionId);
      const session = registry.get(id);
      if (!session) throw notLiveError(id, ended.status(id));
      return session.signal(signal, payload);
    },
    async close() {
      ended.stop();
    },
  };
}

/**
 * Steering for `mcpscope serve`: this process's sessions (`registry`) plus the live sessions of
 * other processes found under `<tracesDir>/live/`, whose events are merged into `bus` and whose
 * signals are forwarded over their control sockets. Resolves after the first scan.
 */
export async function createSessionControl(options: SessionControlOptions): Promise<DiscoveringSessionControl> {
  const { tracesDir, bus } = options;
  const registry = options.registry ?? createLiveSessionRegistry({ bus, ...(options.log ? { log: options.log } : {}) });
  const local = createLocalSessionControl({ registry });
  const ended = endedTracker(bus);
  const remote = await watchRemoteSessions({
    tracesDir, bus, isLocal: (id) => registry.get(id) !== undefined,
    ...(options.rescanMs === undefined ? {} : { rescanMs: options.rescanMs }),
    ...(options.log ? { log: options.log } : {}),
  });
  return {
    bus,
    registry,
    listLive: () => [...local.listLive(), ...remote.list().filter((m) => registry.get(m.id) === undefined)],
    getLive: (id) => local.getLive(id) ?? remote.get(id),
    getLiveState: (id) => local.getLiveState(id) ?? remote.liveState(id),
    async signal(sessionId, signal, payload) {
      const id = assertSessionId(sessionId);
      if (registry.get(id)) return local.signal(id, signal, payload);
      const forwarded = remote.signal(id, signal, payload);
      if (forwarded) return forwarded;
      throw notLiveError(id, remote.endedStatus(id) ?? ended.status(id));
    },
    refresh: () => remote.refresh(),
    async close() {
      ended.stop();
      await local.close();
      await remote.close();
    },
  };
}
