import { connectEvents, type LiveEvent, type StreamState } from './events';

/** One stream for the whole page, shared by the list, the session page and the activity feed. */
export interface EventHub {
  /** Listens to every event; returns the unsubscribe function. */
  on(listener: (e: LiveEvent) => void): () => void;
  /** Listens to connection state changes (called at once with the current one). */
  onState(listener: (state: StreamState, detail?: string) => void): () => void;
  /** Listens to resyncs (events were lost: reload the state). */
  onResync(listener: () => void): () => void;
  /** The most recent events (oldest first, at most {@link RECENT_MAX}), kept across reloads of this tab. */
  recent(): readonly LiveEvent[];
  close(): void;
}

/** How many recent events the hub keeps (and stores for a reload). */
export const RECENT_MAX = 200;
const STORE_KEY = 'mcpscope.events';

/**
 * Starts the page's event stream. Across a reload of the tab it resumes from the last event it
 * delivered (kept in sessionStorage with the recent events, never a credential): the gateway
 * replays what happened during the reload, and nothing is delivered twice.
 */
export function startEventHub(): EventHub {
  const listeners = new Set<(e: LiveEvent) => void>();
  const stateListeners = new Set<(state: StreamState, detail?: string) => void>();
  const resyncListeners = new Set<() => void>();
  let state: StreamState = 'connecting';
  let detail: string | undefined;
  let recent: LiveEvent[] = [];
  let startAfter: string | undefined;
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) ?? 'null') as { last?: unknown; recent?: unknown } | null;
    if (saved && typeof saved.last === 'string' && Array.isArray(saved.recent)) {
      startAfter = saved.last;
      recent = (saved.recent as LiveEvent[]).filter((e) => e && typeof e === 'object' && typeof e.type === 'string').slice(-RECENT_MAX);
    }
  } catch {
    // unreadable: start afresh
  }
  let saveTimer: ReturnType<typeof setTimeout> | undefined;
  const save = () => {
    saveTimer = undefined;
    const last = stream.lastEventId();
    if (last === undefined) return;
    try {
      sessionStorage.setItem(STORE_KEY, JSON.stringify({ last, recent }));
    } catch {
      // storage full or disabled: a reload then starts afresh
    }
  };
  const stream = connectEvents(
    {
      onEvent(e) {
        recent.push(e);
        if (recent.length > RECENT_MAX) recent = recent.slice(-RECENT_MAX);
        for (const l of listeners) l(e);
        saveTimer ??= setTimeout(save, 200);
      },
      onState(s, d) {
        state = s;
        detail = d;
        for (const l of stateListeners) l(s, d);
      },
      onResync() {
        recent = [];
        for (const l of resyncListeners) l();
      },
    },
    startAfter === undefined ? {} : { startAfter },
  );
  addEventListener('pagehide', save);
  return {
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onState(listener) {
      stateListeners.add(listener);
      listener(state, detail);
      return () => stateListeners.delete(listener);
    },
    onResync(listener) {
      resyncListeners.add(listener);
      return () => resyncListeners.delete(listener);
    },
    recent: () => recent,
    close() {
      stream.close();
      removeEventListener('pagehide', save);
    },
  };
}
