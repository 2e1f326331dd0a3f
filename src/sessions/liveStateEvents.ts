import type { LiveState } from '../core/liveState.js';
import type { EventBus } from './eventBus.js';

/** Least time between two LiveStateChanged events of one session. */
export const LIVE_STATE_INTERVAL_MS = 100;

/**
 * Publishes LiveStateChanged for one session, coalesced: the first change after a quiet period
 * goes out at once, later ones at most every `intervalMs`, each carrying the state at the time
 * it is sent; a state equal to the last one sent is not sent again.
 */
export function createLiveStateEvents(bus: EventBus, sessionId: string, read: () => LiveState, intervalMs = LIVE_STATE_INTERVAL_MS): { changed(): void; flush(): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let lastAt = -Infinity;
  let lastSent: string | undefined;
  let stopped = false;
  const send = () => {
    timer = undefined;
    if (stopped) return;
    const live = read();
    const text = JSON.stringify(live);
    lastAt = Date.now();
    if (text === lastSent) return;
    lastSent = text;
    bus.publish({ type: 'LiveStateChanged', session_id: sessionId, live });
  };
  return {
    changed() {
      if (stopped || timer) return;
      const wait = lastAt + intervalMs - Date.now();
      if (wait <= 0) send();
      else {
        timer = setTimeout(send, wait);
        timer.unref();
      }
    },
    flush() {
      if (timer) clearTimeout(timer);
      send();
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      stopped = true;
    },
  };
}
