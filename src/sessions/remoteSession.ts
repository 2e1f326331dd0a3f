import type { LiveState } from '../core/liveState.js';
import type { SessionMeta } from '../core/session.js';
import { createControlClient, type ControlClient } from './controlClient.js';
import type { LiveRegistration } from './liveRegistration.js';

/** What the watcher of remote sessions knows of one: its registration, its stream, its last state. */
export interface Remote {
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

/** A remote session just found: running, not yet followed. */
export function newRemote(reg: LiveRegistration): Remote {
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  return {
    reg, client: createControlClient(reg.socket), abort: new AbortController(), following: false, finished: false, abandoning: false, ready, markReady, inflight: new Set(),
    meta: { id: reg.session_id, title: reg.title, engine: reg.engine, status: 'running', started_at: reg.started_at, span_count: 0, error_count: 0, pid: reg.pid },
  };
}
