import type { SessionEvent, SessionEventInput } from '../core/events.js';

/**
 * The live event bus: assigns each event a monotonic id `<boot>-<seq>` (unique across
 * restarts) and a timestamp, keeps the last `capacity` events for replay, and fans them out.
 */
export interface EventBus {
  /** Assigns id and time (unless `time` is given, e.g. for events merged from another process) and delivers. */
  publish(input: SessionEventInput & { time?: string }): SessionEvent;
  /**
   * Events after `lastEventId` still in the ring buffer, in order. `lost` is true when events
   * after `lastEventId` were already evicted or the id is from another boot.
   */
  since(lastEventId: string | undefined): { events: SessionEvent[]; lost: boolean };
  /** Listener for every event published from now on; returns the unsubscribe function. */
  subscribe(listener: (event: SessionEvent) => void): () => void;
}
