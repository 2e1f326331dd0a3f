import { InspectorError } from '../core/errors.js';
import { Listeners } from '../core/listeners.js';
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
  return new EngineHoldQueue(options);
}

const same = (o: HoldOutcome): HoldOutcome => o;

/** Methods are arrow fields: callers take them off the queue (`passesAll: queue.passesAll`). */
class EngineHoldQueue implements HoldQueue {
  private readonly bus: EventBus;
  private readonly sessionId: string;
  private readonly noun: string;
  private readonly breakpoints: ReturnType<typeof parseBreakpointPattern>[];
  private queue: Entry[] = [];
  // A listener's failure must not stop the engine.
  private readonly listeners = new Listeners<void>(() => {});
  private paused = false;
  private cancelled: string | undefined;
  private credits = 0;
  private awaitingCount = 0;

  constructor(options: HoldQueueOptions) {
    this.bus = options.bus;
    this.sessionId = options.sessionId;
    this.noun = options.noun ?? 'request';
    this.breakpoints = (options.breakOn ?? []).map(parseBreakpointPattern);
  }

  readonly passesAll = (): boolean => this.cancelled === undefined && !this.paused && this.breakpoints.length === 0;

  readonly admit = (request: HoldRequest, onHeld?: (held: HeldItem) => (() => void) | void): Promise<HoldOutcome> | undefined =>
    this.admitAs(request, same, onHeld);

  readonly admitAs = <T>(request: HoldRequest, map: (outcome: HoldOutcome) => T, onHeld?: (held: HeldItem) => (() => void) | void): Promise<T> | undefined => {
    if (this.passesAll()) return undefined;
    if (this.cancelled !== undefined) return Promise.resolve(map({ action: 'cancel', reason: this.cancelled }));
    const awaiting = this.breakpoints.some((b) => b.matches(request));
    if (!awaiting && !this.paused) return undefined;
    if (!awaiting && this.credits > 0) {
      this.credits -= 1;
      return undefined;
    }
    return new Promise<T>((resolve) => this.hold(request, awaiting, (o) => resolve(map(o)), onHeld));
  };

  readonly pause = (reason?: string): boolean => {
    if (this.paused || this.cancelled !== undefined) return false;
    this.paused = true;
    this.bus.publish({ type: 'SessionPaused', session_id: this.sessionId, ...(reason === undefined ? {} : { reason }) });
    this.changed();
    return true;
  };

  readonly resume = (): number => {
    if (!this.paused) return 0;
    this.paused = false;
    this.credits = 0;
    // One pass, not one splice per entry: a long pause may hold thousands.
    const ready = this.queue.filter((e) => !e.item.awaiting_approval);
    this.queue = this.queue.filter((e) => e.item.awaiting_approval);
    for (const e of ready) e.settle({ action: 'release' });
    this.bus.publish({ type: 'SessionResumed', session_id: this.sessionId });
    this.changed();
    return ready.length;
  };

  readonly step = (): number => {
    if (!this.paused) return 0;
    const next = this.queue.find((e) => !e.item.awaiting_approval);
    if (!next) {
      this.credits += 1;
      return 0;
    }
    this.release(next, { action: 'release' });
    this.changed();
    return 1;
  };

  readonly approve = (id?: string | number): HeldItem => {
    const entry = this.find(id, 'approve');
    this.release(entry, { action: 'release' });
    this.changed();
    return heldItem(entry);
  };

  readonly reject = (reason?: string, id?: string | number): HeldItem => {
    const entry = this.find(id, 'reject');
    this.release(entry, reason === undefined ? { action: 'reject' } : { action: 'reject', reason });
    this.changed();
    return heldItem(entry);
  };

  readonly cancelAll = (reason: string): number => {
    const first = this.cancelled === undefined;
    if (first) this.cancelled = reason;
    const all = this.queue;
    this.queue = [];
    this.awaitingCount = 0;
    for (const e of all) e.settle({ action: 'cancel', reason: this.cancelled! });
    if (all.length > 0 || first) this.changed();
    return all.length;
  };

  readonly size = (): number => this.queue.length;

  readonly summary = (): { paused: boolean; cancelled: boolean; held: number; awaitingApproval: number } => ({
    paused: this.paused,
    cancelled: this.cancelled !== undefined,
    held: this.queue.length,
    awaitingApproval: this.awaitingCount,
  });

  readonly state = (): HoldQueueState => ({ paused: this.paused, cancelled: this.cancelled !== undefined, held: this.queue.map(heldItem) });

  readonly onChange = (listener: () => void): (() => void) => this.listeners.add(listener);

  /** Queues `request` until it is settled; `onHeld` runs once it is queued, its cleanup when it settles. */
  private hold(request: HoldRequest, awaiting: boolean, settled: (o: HoldOutcome) => void, onHeld?: (held: HeldItem) => (() => void) | void): void {
    const item: Omit<HeldItem, 'since'> = {
      id: request.id, kind: request.kind, method: request.method,
      ...(request.target === undefined ? {} : { target: request.target }),
      awaiting_approval: awaiting,
    };
    let cleanup: (() => void) | void = undefined;
    const entry: Entry = { item, sinceMs: Date.now(), settle: (o) => { if (cleanup) cleanup(); settled(o); } };
    this.queue.push(entry);
    if (awaiting) this.awaitingCount += 1;
    cleanup = onHeld?.(heldItem(entry));
    if (awaiting) this.publishWaiting(item);
    this.changed();
  }

  private publishWaiting(item: Omit<HeldItem, 'since'>): void {
    const what = `${item.method}${item.target === undefined ? '' : ` ${item.target}`}`;
    const isRequest = item.kind === 'request';
    this.bus.publish({
      type: 'WaitingOnSignal', session_id: this.sessionId, signal: 'approve', request_id: item.id, method: item.method,
      prompt: `approve ${what}? send 'approve' to ${isRequest ? 'forward it' : 'let it run'} or 'reject' to ${isRequest ? 'answer it with an error' : 'refuse it'}`,
      schema: APPROVE_SCHEMA,
    });
  }

  private changed(): void {
    this.listeners.emit();
  }

  private release(entry: Entry, outcome: HoldOutcome): void {
    const i = this.queue.indexOf(entry);
    if (i !== -1) this.queue.splice(i, 1);
    if (entry.item.awaiting_approval) this.awaitingCount -= 1;
    entry.settle(outcome);
  }

  private find(id: string | number | undefined, verb: string): Entry {
    const entry = this.queue.find((e) => e.item.awaiting_approval && (id === undefined || String(e.item.id) === String(id)));
    if (entry) return entry;
    const what = id === undefined ? `no ${this.noun} is waiting at a breakpoint` : `no ${this.noun} with id ${JSON.stringify(id)} is waiting at a breakpoint`;
    throw new InspectorError('SIGNAL_NOT_EXPECTED', `cannot ${verb}: ${what}`);
  }
}
