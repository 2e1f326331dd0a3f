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

