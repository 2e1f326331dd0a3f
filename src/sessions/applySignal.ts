import { InspectorError } from '../core/errors.js';
import type { EventBus } from './eventBus.js';
import type { HoldQueue } from './holdQueue.js';
import type { LiveSession, LiveSessionOptions, SignalResult } from './liveSessionTypes.js';
import type { SignalWaiters } from './signalWaiters.js';
import { assertSignalName, isBuiltinSignal, parseSignalPayload } from './signalPayloads.js';

/**
 * Validates and applies one signal to a live session: checks the name and payload, checks that
 * something expects it (else SIGNAL_NOT_EXPECTED), publishes SignalReceived, then acts. A signal
 * a waiter waits on goes to the oldest such waiter, its payload checked against the waiter's
 * schema (INVALID_ARGUMENT naming the field, the waiter still waiting).
 */
export async function applySignal(session: LiveSession, options: LiveSessionOptions & { queue?: HoldQueue }, bus: EventBus, waiters: SignalWaiters, rawSignal: string, payload: unknown): Promise<SignalResult> {
  const signal = assertSignalName(rawSignal);
  const id = session.sessionId;
  const received = (p: unknown) => bus.publish({ type: 'SignalReceived', session_id: id, signal, ...(p === undefined ? {} : { payload: p }) });
  const done = (message: string): SignalResult => ({ session_id: id, signal, status: session.meta().status, message });
  const needQueue = (): HoldQueue => {
    if (options.queue) return options.queue;
    throw new InspectorError('SIGNAL_NOT_EXPECTED', `session ${id} (${options.engine}) cannot be paused or stepped: it has no request gate`);
  };
  const notExpected = (why: string) => new InspectorError('SIGNAL_NOT_EXPECTED', `signal '${signal}' not expected by session ${id}: ${why}`);
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const noun = options.gate ? 'request' : 'item';

  if (waiters.has(signal)) {
    waiters.deliver(signal, payload);
    received(payload);
    return done(`delivered '${signal}': the session goes on`);
  }
  if (!isBuiltinSignal(signal)) {
    const message = options.onSignal ? await options.onSignal(signal, payload) : undefined;
    if (message === undefined) throw new InspectorError('UNKNOWN_SIGNAL', `unknown signal '${signal}': expected pause, resume, step, cancel, approve, reject or human_input_answer`);
    received(payload);
    return done(message);
  }
  switch (signal) {
    case 'pause': {
      const p = parseSignalPayload('pause', payload);
      const queue = needQueue();
      received(p);
      return done(queue.pause(p.reason) ? `paused: new ${noun}s are held until resume or step` : 'already paused');
    }
    case 'resume': {
      parseSignalPayload('resume', payload);
      const queue = needQueue();
      if (!queue.state().paused) throw notExpected('it is not paused');
      received(undefined);
      return done(`resumed: released ${plural(queue.resume(), `held ${noun}`)}`);
    }
    case 'step': {
      parseSignalPayload('step', payload);
      const queue = needQueue();
      if (!queue.state().paused) throw notExpected('it is not paused (pause it first)');
      received(undefined);
      const n = queue.step();
      return done(n === 1 ? `released 1 held ${noun}; still paused` : `nothing held: the next ${noun} will be let through; still paused`);
    }
    case 'approve':
    case 'reject': {
      const p = signal === 'approve' ? parseSignalPayload('approve', payload) : parseSignalPayload('reject', payload);
      const queue = needQueue();
      const rid = p.request_id;
      const waiting = queue.state().held.filter((h) => h.awaiting_approval && (rid === undefined || String(h.id) === String(rid)));
      if (waiting.length === 0) throw notExpected(rid === undefined ? `no ${noun} is waiting at a breakpoint` : `no ${noun} with id ${JSON.stringify(rid)} is waiting at a breakpoint`);
      received(p);
      const reason = (p as { reason?: string }).reason;
      const info = signal === 'approve' ? queue.approve(rid) : queue.reject(reason, rid);
      const what = `${info.method}${info.target === undefined ? '' : ` ${info.target}`} (id ${JSON.stringify(info.id)})`;
      const [yes, no] = info.kind === 'request' ? ['forwarded', 'answered with an error'] : ['released', 'refused'];
      return done(signal === 'approve' ? `approved ${what}: ${yes}` : `rejected ${what}: ${no}`);
    }
    case 'cancel': {
      const p = parseSignalPayload('cancel', payload);
      const reason = p.reason ?? 'cancelled by signal';
      received(p);
      const answered = options.queue?.cancelAll(reason) ?? 0;
      if (options.cancel) await options.cancel(reason);
      // Not awaited: finishing closes the control socket this answer may be travelling on.
      session.finish('cancelled', reason).catch(() => undefined);
      const what = options.gate ? `answered ${plural(answered, 'held request')} with an error` : `refused ${plural(answered, 'held item')}`;
      return done(`cancelled${answered > 0 ? `: ${what}` : ''}`);
    }
    case 'human_input_answer': {
      const p = parseSignalPayload('human_input_answer', payload);
      const message = options.onSignal ? await options.onSignal(signal, p) : undefined;
      if (message === undefined) throw notExpected('nothing is waiting for human input');
      received(p);
      return done(message);
    }
  }
}
