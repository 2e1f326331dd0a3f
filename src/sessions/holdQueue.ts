import { InspectorError } from '../core/errors.js';
import type { HeldItem } from '../core/liveState.js';
import { parseBreakpointPattern } from './breakpointPattern.js';
import type { EventBus } from './eventBus.js';

/** What an engine asks to hold: the fields of a HeldItem the queue does not assign. */
export interface HoldRequest {
  id: string | number;
  /** `request` for JSON-RPC, or the engine's own kind (e.g. `step`). */
  kind: string;
  method: string;
  target?: string;
}

/** How a held item ends: let through, refused at a breakpoint (`reject`), or refused because the session was cancelled. */
export type HoldOutcome =
  | { action: 'release' }
  | { action: 'reject'; reason?: string }
  | { action: 'cancel'; reason: string };

/** A snapshot of the queue. */
export interface HoldQueueState {
  paused: boolean;
  cancelled: boolean;
  /** Held items in arrival order (copies). */
  held: HeldItem[];
}

/**
 * The hold/release queue of one live session, engine-neutral: while paused every item waits
 * for resume or step; an item matching a breakpoint waits for approve/reject; after cancelAll
 * everything is refused. Nothing is ever dropped: every held item is eventually released or
 * refused. Methods are synchronous and throw only as documented.
 */
export interface HoldQueue {
  /** True when `admit` would let any item through at once (not paused, not cancelled, no breakpoints). */
  passesAll(): boolean;
  /**
   * Returns undefined to go on at once (cheap, synchronous), or a promise that settles with the
   * item's outcome (never rejects). `onHeld` runs once if the item is held, and its return
   * value (a cleanup, e.g. stopping keep-alives) runs when the item is settled. `onHeld` must not change the item.
   */
  admit(item: HoldRequest, onHeld?: (held: HeldItem) => (() => void) | void): Promise<HoldOutcome> | undefined;
  /** As `admit`, the promise settling with `map(outcome)` (one promise per held item, not two: a long pause may hold thousands). */
  admitAs<T>(item: HoldRequest, map: (outcome: HoldOutcome) => T, onHeld?: (held: HeldItem) => (() => void) | void): Promise<T> | undefined;
  /** Holds every item admitted from now on. Returns false when already paused or cancelled. */
  pause(reason?: string): boolean;
  /** Unpauses and releases every item held by the pause, in order. Returns how many were released. */
  resume(): number;
  /** While paused, releases the oldest item held by the pause, or lets the next one through when none is held. Returns 0 or 1. */
  step(): number;
  /** Releases the breakpoint-held item with `id` (default the oldest). Throws SIGNAL_NOT_EXPECTED when none matches. */
  approve(id?: string | number): HeldItem;
  /** Refuses the breakpoint-held item with `id` (default the oldest). Throws SIGNAL_NOT_EXPECTED when none matches. */
  reject(reason?: string, id?: string | number): HeldItem;
  /** Refuses every held item and every later one. Idempotent; returns how many were refused now. */
  cancelAll(reason: string): number;
  /** How many items are held. */
  size(): number;
  /** What a status needs, without copying the held items: paused, and how many wait at a breakpoint. */
  summary(): { paused: boolean; cancelled: boolean; held: number; awaitingApproval: number };
  state(): HoldQueueState;
  /** Called after every change of state (pause, hold, release). Returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** Options of {@link createHoldQueue}. */
export interface HoldQueueOptions {
  /** Where SessionPaused, SessionResumed and (for breakpoints) WaitingOnSignal go. */
  bus: EventBus;
  sessionId: string;
  /** Breakpoint patterns `METHOD[:TARGET]` (see parseBreakpointPattern); throws INVALID_ARGUMENT for a malformed one. */
  breakOn?: string[];
  /** What errors call a held item ("no request is waiting at a breakpoint"). Default `request`. */
  noun?: string;
}

interface Entry {
  item: Omit<HeldItem, 'since'>;
  /** Epoch ms; formatted only when someone reads the state (a long pause may hold thousands). */
  sinceMs: number;
  settle(outcome: HoldOutcome): void;
}

function heldItem(e: Entry): HeldItem {
  return { ...e.item, since: new Date(e.sinceMs).toISOString() };
}

const APPROVE_SCHEMA = { type: 'object', properties: { request_id: { type: ['string', 'number'] } }, additionalProperties: false };

/** Creates a hold queue; the fast path (not paused, no breakpoints) allocates nothing. */
export function createHoldQueue(options: HoldQueueOptions): HoldQueue {
  const { bus, sessionId } = options;
  const noun = options.noun ?? 'request';
  const breakpoints = (options.breakOn ?? []).map(parseBreakpointPattern);
  let queue: Entry[] = [];
  const listeners = new Set<() => void>();
  let paused = false;
  let cancelled: string | undefined;
  let credits = 0;
  let awaitingCount = 0;

  const changed = () => {
    for (const l of [...listeners]) {
      try {
        l();
      } catch {
        // a listener's failure must not stop the engine
      }
    }
  };
  const release = (entry: Entry, outcome: HoldOutcome) => {
    const i = queue.indexOf(entry);
    if (i !== -1) queue.splice(i, 1);
    if (entry.item.awaiting_approval) awaitingCount -= 1;
    entry.settle(outcome);
  };
  const find = (id: string | number | undefined, verb: string): Entry => {
    const entry = queue.find((e) => e.item.awaiting_approval && (id === undefined || String(e.item.id) === String(id)));
    if (entry) return entry;
    const what = id === undefined ? `no ${noun} is waiting at a breakpoint` : `no ${noun} with id ${JSON.stringify(id)} is waiting at a breakpoint`;
    throw new InspectorError('SIGNAL_NOT_EXPECTED', `cannot ${verb}: ${what}`);
  };
  const passesAll = (): boolean => cancelled === undefined && !paused && breakpoints.length === 0;

  const admitAs = <T>(request: HoldRequest, map: (outcome: HoldOutcome) => T, onHeld?: (held: HeldItem) => (() => void) | void): Promise<T> | undefined => {
    if (passesAll()) return undefined;
    if (cancelled !== undefined) return Promise.resolve(map({ action: 'cancel', reason: cancelled }));
    const awaiting = breakpoints.some((b) => b.matches(request));
    if (!awaiting && !paused) return undefined;
    if (!awaiting && credits > 0) {
      credits -= 1;
      return undefined;
    }
    return new Promise<T>((resolve) => {
      const item: Omit<HeldItem, 'since'> = {
        id: request.id, kind: request.kind, method: request.method,
        ...(request.target === undefined ? {} : { target: request.target }),
        awaiting_approval: awaiting,
      };
      let cleanup: (() => void) | void = undefined;
      const entry: Entry = { item, sinceMs: Date.now(), settle: (o) => { if (cleanup) cleanup(); resolve(map(o)); } };
      queue.push(entry);
      if (awaiting) awaitingCount += 1;
      cleanup = onHeld?.(heldItem(entry));
      if (awaiting) {
        const what = `${item.method}${item.target === undefined ? '' : ` ${item.target}`}`;
        bus.publish({
          type: 'WaitingOnSignal', session_id: sessionId, signal: 'approve', request_id: item.id, method: item.method,
          prompt: `approve ${what}? send 'approve' to ${item.kind === 'request' ? 'forward it' : 'let it run'} or 'reject' to ${item.kind === 'request' ? 'answer it with an error' : 'refuse it'}`,
          schema: APPROVE_SCHEMA,
        });
      }
      changed();
    });
  };
  const same = (o: HoldOutcome) => o;

  return {
    passesAll,
    admitAs,
    admit: (request, onHeld) => admitAs(request, same, onHeld),
    pause(reason) {
      if (paused || cancelled !== undefined) return false;
      paused = true;
      bus.publish({ type: 'SessionPaused', session_id: sessionId, ...(reason === undefined ? {} : { reason }) });
      changed();
      return true;
    },
    resume() {
      if (!paused) return 0;
      paused = false;
      credits = 0;
      // One pass, not one splice per entry: a long pause may hold thousands.
      const ready = queue.filter((e) => !e.item.awaiting_approval);
      queue = queue.filter((e) => e.item.awaiting_approval);
      for (const e of ready) e.settle({ action: 'release' });
      bus.publish({ type: 'SessionResumed', session_id: sessionId });
      changed();
      return ready.length;
    },
    step() {
      if (!paused) return 0;
      const next = queue.find((e) => !e.item.awaiting_approval);
      if (!next) {
        credits += 1;
        return 0;
      }
      release(next, { action: 'release' });
      changed();
      return 1;
    },
    approve(id) {
      const entry = find(id, 'approve');
      release(entry, { action: 'release' });
      changed();
      return heldItem(entry);
    },
    reject(reason, id) {
      const entry = find(id, 'reject');
      release(entry, reason === undefined ? { action: 'reject' } : { action: 'reject', reason });
      changed();
      return heldItem(entry);
    },
    cancelAll(reason) {
      const first = cancelled === undefined;
      if (first) cancelled = reason;
      const all = queue;
      queue = [];
      awaitingCount = 0;
      for (const e of all) e.settle({ action: 'cancel', reason: cancelled! });
      if (all.length > 0 || first) changed();
      return all.length;
    },
    size: () => queue.length,
    summary: () => ({ paused, cancelled: cancelled !== undefined, held: queue.length, awaitingApproval: awaitingCount }),
    state: () => ({ paused, cancelled: cancelled !== undefined, held: queue.map(heldItem) }),
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
