import { InspectorError } from '../core/errors.js';
import type { EventBus } from './eventBus.js';
import type { ControlledGate } from './gateTypes.js';
import type { LiveSession, LiveSessionOptions, SignalResult } from './liveSessionTypes.js';
import { assertSignalName, isBuiltinSignal, parseSignalPayload } from './signalPayloads.js';

/**
 * Validates and applies one signal to a live session: checks the name and payload, checks that
 * something expects it (else SIGNAL_NOT_EXPECTED), publishes SignalReceived, then acts.
 */
export async function applySignal(session: LiveSession, options: LiveSessionOptions, bus: EventBus, rawSignal: string, payload: unknown): Promise<SignalResult> {
  const signal = assertSignalName(rawSignal);
  const id = session.sessionId;
  const received = (p: unknown) => bus.publish({ type: 'SignalReceived', session_id: id, signal, ...(p === undefined ? {} : { payload: p }) });
  const done = (message: string): SignalResult => ({ session_id: id, signal, status: session.meta().status, message });
  const needGate = (): ControlledGate => {
    if (options.gate) return options.gate;
    throw new InspectorError('SIGNAL_NOT_EXPECTED', `session ${id} (${options.engine}) cannot be paused or stepped: it has no request gate`);
  };
  const notExpected = (why: string) => new InspectorError('SIGNAL_NOT_EXPECTED', `signal '${signal}' not expected by session ${id}: ${why}`);

  if (!isBuiltinSignal(signal)) {
    const message = options.onSignal ? await options.onSignal(signal, payload) : undefined;
    if (message === undefined) throw new InspectorError('UNKNOWN_SIGNAL', `unknown signal '${signal}': expected pause, resume, step, cancel, approve, reject or human_input_answer`);
    received(payload);
    return done(message);
  }
  switch (signal) {
    case 'pause': {
      const p = parseSignalPayload('pause', payload);
      const gate = needGate();
      received(p);
      return done(gate.pause(p.reason) ? 'paused: new requests are held until resume or step' : 'already paused');
    }
    case 'resume': {
      parseSignalPayload('resume', payload);
      const gate = needGate();
      if (!gate.state().paused) throw notExpected('it is not paused');
      received(undefined);
      const n = gate.resume();
      return done(`resumed: released ${n} held request${n === 1 ? '' : 's'}`);
    }
    case 'step': {
      parseSignalPayload('step', payload);
      const gate = needGate();
      if (!gate.state().paused) throw notExpected('it is not paused (pause it first)');
      received(undefined);
      const n = gate.step();
      return done(n === 1 ? 'released 1 held request; still paused' : 'nothing held: the next request will be let through; still paused');
    }
    case 'approve':
    case 'reject': {
      const p = signal === 'approve' ? parseSignalPayload('approve', payload) : parseSignalPayload('reject', payload);
      const gate = needGate();
      const rid = p.request_id;
      const waiting = gate.state().held.filter((h) => h.awaiting_approval && (rid === undefined || String(h.request_id) === String(rid)));
      if (waiting.length === 0) throw notExpected(rid === undefined ? 'no request is waiting at a breakpoint' : `no request with id ${JSON.stringify(rid)} is waiting at a breakpoint`);
      received(p);
      const reason = (p as { reason?: string }).reason;
      const info = signal === 'approve' ? gate.approve(rid) : gate.reject(reason, rid);
      const what = `${info.method}${info.target === undefined ? '' : ` ${info.target}`} (id ${JSON.stringify(info.request_id)})`;
      return done(signal === 'approve' ? `approved ${what}: forwarded` : `rejected ${what}: answered with an error`);
    }
    case 'cancel': {
      const p = parseSignalPayload('cancel', payload);
      const reason = p.reason ?? 'cancelled by signal';
      received(p);
      const answered = options.gate?.cancelAll(reason) ?? 0;
      if (options.cancel) await options.cancel(reason);
      // Not awaited: finishing closes the control socket this answer may be travelling on.
      session.finish('cancelled', reason).catch(() => undefined);
      return done(`cancelled${answered > 0 ? `: answered ${answered} held request${answered === 1 ? '' : 's'} with an error` : ''}`);
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
