import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SessionEvent } from '../../src/core/events.js';
import { isInspectorError } from '../../src/core/errors.js';
import { createEventBus } from '../../src/sessions/eventBus.js';
import { createLiveSessionRegistry, registerLiveSession, type LiveSessionRegistry } from '../../src/sessions/liveSessionRegistry.js';
import type { GateDecision } from '../../src/sessions/gateTypes.js';
import { createRequestGate } from '../../src/sessions/requestGate.js';
import { createLocalSessionControl } from '../../src/sessions/sessionControl.js';

const io = { notifyClient: () => undefined };
let registries: LiveSessionRegistry[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(registries.map((r) => r.close()));
  registries = [];
});

async function setup(options: { breakOn?: string[]; heartbeatMs?: number; onSignal?: (s: string, p: unknown) => string | undefined } = {}) {
  const bus = createEventBus();
  const events: SessionEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const registry = createLiveSessionRegistry({ bus, heartbeatMs: options.heartbeatMs ?? 60_000 });
  registries.push(registry);
  const gate = createRequestGate({ bus, sessionId: 'live-one', ...(options.breakOn ? { breakOn: options.breakOn } : {}) });
  const statuses: [string, Record<string, string | undefined>][] = [];
  const writer = { setStatus: (s: string, extra?: { waiting_on?: string; reason?: string }) => void statuses.push([s, { ...extra }]) };
  const counters = { requests: 0, toolCalls: 0, errors: 0, spans: 0 };
  const cancelled: string[] = [];
  const session = await registerLiveSession(registry, {
    sessionId: 'live-one', title: 'demo', engine: 'proxy', writer, gate, stats: () => counters,
    cancel: async (reason) => void cancelled.push(reason),
    ...(options.onSignal ? { onSignal: options.onSignal } : {}),
  });
  const control = createLocalSessionControl({ registry });
  return { bus, events, registry, gate, statuses, counters, cancelled, session, control };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'none';
  } catch (err) {
    return isInspectorError(err) ? err.code : String(err);
  }
}

describe('live sessions', () => {
  it('publishes SessionStarted and lists the session as live', async () => {
    const { events, control } = await setup();
    expect(events[0]).toMatchObject({ type: 'SessionStarted', session_id: 'live-one', title: 'demo', engine: 'proxy' });
    expect(control.listLive()).toMatchObject([{ id: 'live-one', status: 'running', pid: process.pid }]);
    expect(control.getLive('live-one')?.title).toBe('demo');
    expect(control.getLive('nope-nope')).toBeUndefined();
  });

  it('pause/step/resume through signals, with status on disk and events', async () => {
    const { gate, control, statuses, events } = await setup();
    expect(await control.signal('live-one', 'pause', { reason: 'inspect' })).toMatchObject({ status: 'paused', signal: 'pause' });
    const held = [gate.admit({ id: 1, method: 'tools/call' }, io)!, gate.admit({ id: 2, method: 'tools/call' }, io)!];
    expect(await control.signal('live-one', 'step')).toMatchObject({ status: 'paused', message: expect.stringMatching(/released 1/) });
    await expect(held[0]).resolves.toEqual({ action: 'forward' });
    expect(await control.signal('live-one', 'resume', {})).toMatchObject({ status: 'running', message: expect.stringMatching(/released 1 held request/) });
    await expect(held[1]).resolves.toEqual({ action: 'forward' });
    expect(statuses).toEqual([['paused', {}], ['running', {}]]);
    // LiveStateChanged (coalesced, timing-dependent) is checked in liveStateEvents.test.ts.
    const types = events.map((e) => e.type).filter((t) => t !== 'LiveStateChanged');
    expect(types).toEqual(['SessionStarted', 'SignalReceived', 'SessionPaused', 'SignalReceived', 'SignalReceived', 'SessionResumed']);
  });

  it('breakpoints: waiting_on approve, approve forwards, reject answers with the reason', async () => {
    const { gate, control, statuses } = await setup({ breakOn: ['tools/call:echo'] });
    expect(await codeOf(control.signal('live-one', 'approve'))).toBe('SIGNAL_NOT_EXPECTED');
    const a = gate.admit({ id: 7, method: 'tools/call', params: { name: 'echo' } }, io)!;
    expect(control.getLive('live-one')).toMatchObject({ status: 'paused', waiting_on: 'approve' });
    expect(await control.signal('live-one', 'approve', { request_id: 7 })).toMatchObject({ status: 'running' });
    await expect(a).resolves.toEqual({ action: 'forward' });
    const b = gate.admit({ id: 8, method: 'tools/call', params: { name: 'echo' } }, io)!;
    expect(await codeOf(control.signal('live-one', 'reject', { request_id: 9 }))).toBe('SIGNAL_NOT_EXPECTED');
    await control.signal('live-one', 'reject', { reason: 'not today' });
    await expect(b).resolves.toMatchObject({ action: 'reject', message: expect.stringMatching(/not today/) });
    expect(statuses).toEqual([['paused', { waiting_on: 'approve' }], ['running', {}], ['paused', { waiting_on: 'approve' }], ['running', {}]]);
  });

  it('validates names and payloads with clear errors', async () => {
    const { control } = await setup();
    expect(await codeOf(control.signal('live-one', 'frobnicate'))).toBe('UNKNOWN_SIGNAL');
    expect(await codeOf(control.signal('live-one', 'bad name!'))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(control.signal('live-one', 'reject', { reason: 42 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(control.signal('live-one', 'approve', { extra: true }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(control.signal('live-one', 'approve', 'junk'))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(control.signal('live-one', 'human_input_answer', {}))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(control.signal('live-one', 'human_input_answer', { answer: 'yes' }))).toBe('SIGNAL_NOT_EXPECTED');
    expect(await codeOf(control.signal('live-one', 'resume'))).toBe('SIGNAL_NOT_EXPECTED');
    expect(await codeOf(control.signal('live-one', 'step'))).toBe('SIGNAL_NOT_EXPECTED');
    expect(await codeOf(control.signal('other-session', 'pause'))).toBe('SESSION_NOT_FOUND');
    expect(await codeOf(control.signal('../etc', 'pause'))).toBe('INVALID_SESSION_ID');
  });

  it('routes human_input_answer and custom signals to onSignal', async () => {
    const { control } = await setup({ onSignal: (s, p) => (s === 'go' || s === 'human_input_answer' ? `got ${s} ${JSON.stringify(p)}` : undefined) });
    expect((await control.signal('live-one', 'go', { x: 1 })).message).toBe('got go {"x":1}');
    expect((await control.signal('live-one', 'human_input_answer', { answer: 'yes' })).message).toMatch(/answer/);
    expect(await codeOf(control.signal('live-one', 'stop'))).toBe('UNKNOWN_SIGNAL');
  });

  it('cancel answers held requests, calls the handle, ends cancelled; later signals are SESSION_NOT_LIVE', async () => {
    const { gate, control, cancelled, events, statuses, registry } = await setup();
    await control.signal('live-one', 'pause');
    const held: Promise<GateDecision> = gate.admit({ id: 1, method: 'tools/call' }, io)!;
    const r = await control.signal('live-one', 'cancel', { reason: 'enough' });
    expect(r).toMatchObject({ status: 'cancelled', message: expect.stringMatching(/answered 1 held request/) });
    await expect(held).resolves.toMatchObject({ action: 'reject', message: expect.stringMatching(/enough/) });
    expect(cancelled).toEqual(['enough']);
    expect(events.at(-1)).toMatchObject({ type: 'SessionFinished', status: 'cancelled', reason: 'enough' });
    expect(statuses.at(-1)).toEqual(['cancelled', { reason: 'enough' }]);
    expect(registry.list()).toEqual([]);
    expect(control.listLive()).toEqual([]);
    expect(await codeOf(control.signal('live-one', 'pause'))).toBe('SESSION_NOT_LIVE');
    expect(gate.admit({ id: 2, method: 'ping' }, io)).toBeInstanceOf(Promise);
  });

  it('heartbeats every period carry deltas and the span count, and stop at finish', async () => {
    vi.useFakeTimers();
    const { events, counters, session } = await setup({ heartbeatMs: 1000 });
    const beats = () => events.filter((e) => e.type === 'Heartbeat');
    counters.requests = 5;
    counters.toolCalls = 2;
    counters.spans = 5;
    await vi.advanceTimersByTimeAsync(999);
    expect(beats()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(beats()).toHaveLength(1);
    counters.requests = 6;
    counters.spans = 6;
    await vi.advanceTimersByTimeAsync(1000);
    expect(beats()).toHaveLength(2);
    expect(beats()[0]).toMatchObject({ requests: 5, tool_calls: 2, errors: 0, span_count: 5, status: 'running' });
    expect(beats()[1]).toMatchObject({ requests: 1, tool_calls: 0, span_count: 6 });
    await session.finish('completed');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(beats()).toHaveLength(2);
  });

  it('finish is idempotent, rejects non-final statuses, and refuses duplicate ids', async () => {
    const { session, registry, events } = await setup();
    await expect(registerLiveSession(registry, { sessionId: 'live-one', title: 'x', engine: 'proxy' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(session.finish('running')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await Promise.all([session.finish('completed'), session.finish('failed')]);
    expect(events.filter((e) => e.type === 'SessionFinished')).toHaveLength(1);
    expect(session.meta()).toMatchObject({ status: 'completed', ended_at: expect.any(String) });
    expect(session.meta().pid).toBeUndefined();
  });
});
