import { randomBytes } from 'node:crypto';
import { InspectorError } from '../core/errors.js';
import type { SessionEvent, SessionEventInput } from '../core/events.js';
import { nowIso } from '../core/time.js';
import { Listeners } from '../core/listeners.js';

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

/** Options of {@link createEventBus}. */
export interface EventBusOptions {
  /** Events kept for replay by `since`. Default 1000; at least 1. */
  capacity?: number;
  /** The boot token of ids (`<boot>-<seq>`); default a fresh time+random token. Letters and digits only. */
  bootId?: string;
  /** Called when a listener throws; the bus itself never throws into its publisher. Default: ignore. */
  onListenerError?: (err: unknown) => void;
}

/** A fresh boot token: base-36 start time plus 4 random hex digits, unique per process start. */
export function newBootId(): string {
  return `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
}

/**
 * Creates the in-memory event bus of this process: ids `<boot>-<seq>` with seq counting from 1,
 * a ring buffer of the last `capacity` events, and synchronous fan-out to subscribers
 * (a throwing listener is reported to `onListenerError` and does not stop the others).
 */
export function createEventBus(options: EventBusOptions = {}): EventBus {
  const capacity = Math.max(1, Math.floor(options.capacity ?? 1000));
  const boot = options.bootId ?? newBootId();
  if (!/^[A-Za-z0-9]{1,40}$/.test(boot)) throw new InspectorError('INVALID_ARGUMENT', `invalid bootId ${JSON.stringify(boot)}: letters and digits only`);
  const ring: (SessionEvent | undefined)[] = new Array<SessionEvent | undefined>(capacity);
  const listeners = new Listeners<SessionEvent>((err) => options.onListenerError?.(err));
  let seq = 0;

  return {
    publish(input) {
      seq += 1;
      const event = { ...input, id: `${boot}-${seq}`, time: input.time ?? nowIso() } as SessionEvent;
      ring[seq % capacity] = event;
      listeners.emit(event);
      return event;
    },
    since(lastEventId) {
      const oldest = Math.max(1, seq - capacity + 1);
      const all = (from: number) => {
        const events: SessionEvent[] = [];
        for (let s = Math.max(from, oldest); s <= seq; s++) events.push(ring[s % capacity]!);
        return events;
      };
      if (lastEventId === undefined || lastEventId === '') return { events: all(oldest), lost: false };
      const dash = lastEventId.lastIndexOf('-');
      const last = Number(lastEventId.slice(dash + 1));
      if (dash <= 0 || lastEventId.slice(0, dash) !== boot || !Number.isInteger(last) || last < 0 || last > seq) {
        return { events: all(oldest), lost: true };
      }
      return { events: all(last + 1), lost: last + 1 < oldest };
    },
    subscribe: (listener) => listeners.add(listener),
  };
}
