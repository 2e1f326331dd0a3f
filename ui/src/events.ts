import type { LiveState, SessionStatus } from './api';

/** A live event from `/_inspector/events` (the gateway's SessionEvent, plus LiveStateChanged). */
export type LiveEvent =
  | { type: 'SessionStarted'; id: string; time: string; session_id: string; title: string; engine: string }
  | { type: 'SessionFinished'; id: string; time: string; session_id: string; status: SessionStatus; reason?: string; duration_ms?: number }
  | { type: 'Heartbeat'; id: string; time: string; session_id: string; status: SessionStatus; requests: number; tool_calls: number; errors: number; span_count: number; error_count?: number }
  | { type: 'WaitingOnSignal'; id: string; time: string; session_id: string; signal: string; prompt?: string; schema?: Record<string, unknown>; request_id?: string | number; method?: string }
  | { type: 'SignalReceived'; id: string; time: string; session_id: string; signal: string; payload?: unknown }
  | { type: 'SessionPaused'; id: string; time: string; session_id: string; reason?: string }
  | { type: 'SessionResumed'; id: string; time: string; session_id: string }
  | { type: 'LiveStateChanged'; id: string; time: string; session_id: string; live: LiveState }
  | { type: 'EventsLost'; id?: undefined; time?: string; session_id?: undefined; last_event_id?: string; message?: string };

/** Connection state of the stream. */
export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** What {@link connectEvents} calls. */
export interface EventHandlers {
  onEvent(event: LiveEvent): void;
  onState?(state: StreamState, detail?: string): void;
  /** Events were lost (ring buffer overrun, or a gateway restart): reload the state. */
  onResync?(): void;
}

/** The running stream. */
export interface EventStream {
  /** Id of the last event delivered (the `Last-Event-ID` of the next reconnect). */
  lastEventId(): string | undefined;
  close(): void;
}

const MAX_SEEN = 4096;

/**
 * Reads `/_inspector/events` with fetch (so `Last-Event-ID` can be sent on every reconnect) and
 * delivers each event once: after a reconnect the gateway replays what was missed from its
 * ring buffer, and an id already delivered is skipped. Reconnects with a capped backoff.
 * `startAfter` is an event id the page already reflects (none: only new events).
 */
export function connectEvents(handlers: EventHandlers, options: { query?: string; startAfter?: string } = {}): EventStream {
  let lastId = options.startAfter;
  let closed = false;
  let controller: AbortController | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  const seen = new Set<string>();
  const seenOrder: string[] = [];

  const remember = (id: string) => {
    seen.add(id);
    seenOrder.push(id);
    if (seenOrder.length > MAX_SEEN) seen.delete(seenOrder.shift()!);
  };

  const dispatch = (block: string) => {
    let type = 'message';
    let data = '';
    let id: string | undefined;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'data') data += (data ? '\n' : '') + value;
      else if (field === 'event') type = value;
      else if (field === 'id') id = value;
    }
    if (!data) return;
    if (id !== undefined) {
      if (seen.has(id)) return;
      remember(id);
      lastId = id;
    }
    let event: LiveEvent;
    try {
      event = JSON.parse(data) as LiveEvent;
    } catch {
      return;
    }
    if (type === 'EventsLost' || event.type === 'EventsLost') {
      handlers.onResync?.();
      return;
    }
    handlers.onEvent(event);
  };

  const connect = async () => {
    if (closed) return;
    handlers.onState?.(failures === 0 ? 'connecting' : 'reconnecting');
    controller = new AbortController();
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (lastId !== undefined) headers['Last-Event-ID'] = lastId;
    try {
      const res = await fetch(`/_inspector/events${options.query ? `?${options.query}` : ''}`, { headers, credentials: 'same-origin', cache: 'no-store', signal: controller.signal });
      if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
      failures = 0;
      handlers.onState?.('live');
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error('event stream ended');
        buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, '\n');
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          dispatch(buffer.slice(0, at));
          buffer = buffer.slice(at + 2);
        }
      }
    } catch (err) {
      if (closed) return;
      failures++;
      const delay = Math.min(10_000, 500 * 2 ** Math.min(failures - 1, 5));
      handlers.onState?.(navigator.onLine === false ? 'offline' : 'reconnecting', err instanceof Error ? err.message : String(err));
      retryTimer = setTimeout(() => void connect(), delay);
    }
  };
  void connect();

  return {
    lastEventId: () => lastId,
    close() {
      closed = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      controller?.abort();
    },
  };
}

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
