import { InspectorError } from '../core/errors.js';
import type { WaiterInfo } from '../core/liveState.js';
import { Listeners } from '../core/listeners.js';
import { nowIso } from '../core/time.js';
import type { EventBus } from './eventBus.js';
import { compilePayloadSchema, type PayloadCheck } from './signalSchema.js';
import { assertSignalName } from './signalPayloads.js';

/** Options of a wait (LiveSession.waitForSignal). */
export interface WaitForSignalOptions {
  /** What a person or model is asked, shown with the waiter. */
  prompt?: string;
  /** JSON Schema the payload must satisfy; without one any payload (or none) is accepted. */
  schema?: Record<string, unknown>;
  /** Give up after this many ms (rejects UNAVAILABLE). Default: wait until signalled, cancelled or finished. */
  timeoutMs?: number;
}

/** The named signals a live session waits on. */
export interface SignalWaiters {
  /** Resolves with the payload of the first valid `signal`. Throws INVALID_ARGUMENT at once for a bad name or schema. */
  wait(signal: string, options?: WaitForSignalOptions): Promise<unknown>;
  /** True when someone waits on `signal`. */
  has(signal: string): boolean;
  /**
   * Validates `payload` against the oldest waiter on `signal` and resolves it. Throws
   * INVALID_ARGUMENT naming the field (the waiter keeps waiting), SIGNAL_NOT_EXPECTED when nobody waits.
   */
  deliver(signal: string, payload: unknown): void;
  /** Waiters in the order they started (copies). */
  list(): WaiterInfo[];
  /** Rejects every waiter with `error`, and every later wait too. Idempotent. */
  rejectAll(error: Error): void;
  onChange(listener: () => void): () => void;
}

/** Signals that steer the session itself: nobody can wait on them. */
const CONTROL_SIGNALS = new Set(['pause', 'resume', 'step', 'cancel', 'approve', 'reject']);

interface Waiter {
  info: WaiterInfo;
  check?: PayloadCheck;
  resolve(payload: unknown): void;
  reject(err: Error): void;
}

/** Creates the waiters of session `sessionId`; each wait publishes WaitingOnSignal on `bus`. */
export function createSignalWaiters(options: { bus: EventBus; sessionId: string }): SignalWaiters {
  const { bus, sessionId } = options;
  const waiters: Waiter[] = [];
  // A listener's failure must not stop the workflow.
  const listeners = new Listeners<void>(() => {});
  let closed: Error | undefined;
  const changed = () => listeners.emit();
  const remove = (w: Waiter) => {
    const i = waiters.indexOf(w);
    if (i === -1) return false;
    waiters.splice(i, 1);
    changed();
    return true;
  };

  return {
    wait(rawSignal, opts = {}) {
      const signal = assertSignalName(rawSignal);
      if (CONTROL_SIGNALS.has(signal)) throw new InspectorError('INVALID_ARGUMENT', `cannot wait on '${signal}': it steers the session itself`);
      const check = opts.schema === undefined ? undefined : compilePayloadSchema(signal, opts.schema);
      if (opts.timeoutMs !== undefined && !(Number.isFinite(opts.timeoutMs) && opts.timeoutMs > 0)) throw new InspectorError('INVALID_ARGUMENT', 'timeoutMs must be a positive number');
      if (closed) return Promise.reject(closed);
      return new Promise<unknown>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const info: WaiterInfo = { signal, ...(opts.prompt === undefined ? {} : { prompt: opts.prompt }), ...(opts.schema === undefined ? {} : { schema: opts.schema }), since: nowIso() };
        const w: Waiter = {
          info,
          ...(check ? { check } : {}),
          resolve: (p) => { clearTimeout(timer); resolve(p); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        };
        if (opts.timeoutMs !== undefined) {
          timer = setTimeout(() => {
            if (remove(w)) reject(new InspectorError('UNAVAILABLE', `no valid '${signal}' signal within ${opts.timeoutMs} ms`));
          }, opts.timeoutMs);
        }
        waiters.push(w);
        bus.publish({ type: 'WaitingOnSignal', session_id: sessionId, signal, ...(opts.prompt === undefined ? {} : { prompt: opts.prompt }), ...(opts.schema === undefined ? {} : { schema: opts.schema }) });
        changed();
      });
    },
    has: (signal) => waiters.some((w) => w.info.signal === signal),
    deliver(signal, payload) {
      const w = waiters.find((x) => x.info.signal === signal);
      if (!w) throw new InspectorError('SIGNAL_NOT_EXPECTED', `nothing waits on signal '${signal}'`);
      const value = w.check ? w.check(payload) : payload;
      remove(w);
      w.resolve(value);
    },
    list: () => waiters.map((w) => ({ ...w.info })),
    rejectAll(error) {
      closed ??= error;
      const all = waiters.splice(0);
      for (const w of all) w.reject(error);
      if (all.length > 0) changed();
    },
    onChange: (listener) => listeners.add(listener),
  };
}
