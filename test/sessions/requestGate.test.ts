import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SessionEvent } from '../../src/core/events.js';
import { createEventBus } from '../../src/sessions/eventBus.js';
import type { ControlledGate, GateDecision, GatedRequest } from '../../src/sessions/gateTypes.js';
import { CANCELLED_ERROR_CODE, REJECTED_ERROR_CODE, createRequestGate } from '../../src/sessions/requestGate.js';

const SID = 'gate-session';

/** A stand-in for the proxy's wire: admits requests, records what was forwarded and answered. */
function fakeProxy(gate: ControlledGate) {
  const forwarded: (string | number)[] = [];
  const answered: { id: string | number; code: number; message: string }[] = [];
  const notifications: { method: string; params?: unknown }[] = [];
  const io = { notifyClient: (m: { method: string; params?: unknown }) => notifications.push(m) };
  const settled: Promise<void>[] = [];
  const send = (req: GatedRequest) => {
    const apply = (d: GateDecision) => {
      if (d.action === 'forward') forwarded.push(req.id);
      else answered.push({ id: req.id, code: d.code, message: d.message });
    };
    const pending = gate.admit(req, io);
    if (pending === undefined) forwarded.push(req.id);
    else settled.push(pending.then(apply));
  };
  const flush = () => Promise.all(settled).then(() => undefined);
  return { forwarded, answered, notifications, send, flush };
}

const tick = () => new Promise((r) => setImmediate(r));
const req = (id: number, method = 'tools/call', name = 'echo', progressToken?: string): GatedRequest => ({
  id, method, params: { name }, ...(progressToken === undefined ? {} : { progressToken }),
});

let gates: ControlledGate[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const g of gates) g.cancelAll('test over');
  gates = [];
});
function setup(options: { breakOn?: string[]; progressIntervalMs?: number } = {}) {
  const bus = createEventBus();
  const events: SessionEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const gate = createRequestGate({ bus, sessionId: SID, ...options });
  gates.push(gate);
  return { bus, events, gate, proxy: fakeProxy(gate) };
}

describe('createRequestGate', () => {
  it('forwards synchronously when not paused', () => {
    const { gate, proxy } = setup();
    expect(gate.admit(req(1), { notifyClient: () => undefined })).toBeUndefined();
    proxy.send(req(2));
    expect(proxy.forwarded).toEqual([2]);
  });

  it('passesAll says when admit would forward anything at once (the proxy then skips building the request)', () => {
    const { gate } = setup();
    expect(gate.passesAll!()).toBe(true);
    gate.pause();
    expect(gate.passesAll!()).toBe(false);
    gate.resume();
    expect(gate.passesAll!()).toBe(true);
    gate.cancelAll('stop');
    expect(gate.passesAll!()).toBe(false);
    expect(setup({ breakOn: ['tools/call'] }).gate.passesAll!()).toBe(false);
  });

  it('pause holds new requests in order; step releases one; resume releases the rest in order', async () => {
    const { gate, proxy, events } = setup();
    expect(gate.pause('look')).toBe(true);
    expect(gate.pause()).toBe(false);
    for (let i = 1; i <= 4; i++) proxy.send(req(i));
    await tick();
    expect(proxy.forwarded).toEqual([]);
    expect(gate.held()).toBe(4);
    expect(gate.step()).toBe(1);
    await tick();
    expect(proxy.forwarded).toEqual([1]);
    expect(gate.resume()).toBe(3);
    await proxy.flush();
    expect(proxy.forwarded).toEqual([1, 2, 3, 4]);
    expect(gate.held()).toBe(0);
    expect(events.map((e) => e.type)).toEqual(['SessionPaused', 'SessionResumed']);
    expect(events[0]).toMatchObject({ reason: 'look', session_id: SID });
  });

  it('step with nothing held lets exactly the next request through', async () => {
    const { gate, proxy } = setup();
    gate.pause();
    expect(gate.step()).toBe(0);
    proxy.send(req(1));
    proxy.send(req(2));
    await tick();
    expect(proxy.forwarded).toEqual([1]);
    expect(gate.held()).toBe(1);
    expect(gate.step()).toBe(1);
    await proxy.flush();
    expect(proxy.forwarded).toEqual([1, 2]);
    expect(gate.resume()).toBe(0);
    expect(gate.step()).toBe(0); // not paused: nothing to do
  });

  it('cancelAll answers every held request and every later one', async () => {
    const { gate, proxy } = setup({ breakOn: ['tools/call:delete_*'] });
    proxy.send(req(1, 'tools/call', 'delete_x'));
    gate.pause();
    proxy.send(req(2, 'tools/list'));
    proxy.send(req(3));
    expect(gate.cancelAll('user said stop')).toBe(3);
    proxy.send(req(4, 'ping'));
    await proxy.flush();
    expect(proxy.forwarded).toEqual([]);
    expect(proxy.answered.map((a) => a.id)).toEqual([1, 2, 3, 4]);
    for (const a of proxy.answered) {
      expect(a.code).toBe(CANCELLED_ERROR_CODE);
      expect(a.message).toMatch(/user said stop/);
    }
    expect(gate.cancelAll('again')).toBe(0);
    expect(gate.state()).toMatchObject({ cancelled: true, held: [] });
  });

  it('sends a progress keep-alive every period only for held requests with a progress token', async () => {
    vi.useFakeTimers();
    const { gate, proxy } = setup({ progressIntervalMs: 1000 });
    gate.pause();
    proxy.send(req(1, 'tools/call', 'echo', 'tok-1'));
    proxy.send(req(2));
    await vi.advanceTimersByTimeAsync(999);
    expect(proxy.notifications).toEqual([]);
    await vi.advanceTimersByTimeAsync(2001);
    expect(proxy.notifications).toHaveLength(3);
    const progress = proxy.notifications.map((n) => n.params as { progressToken: string; progress: number; message: string });
    expect(progress.map((p) => [p.progressToken, p.progress])).toEqual([['tok-1', 1], ['tok-1', 2], ['tok-1', 3]]);
    expect(progress[0]!.message).toMatch(/session paused/);
    gate.resume();
    await proxy.flush();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(proxy.notifications).toHaveLength(3); // stops once released
  });

  it('a throwing notifyClient does not lose the request', async () => {
    vi.useFakeTimers();
    const { gate } = setup({ progressIntervalMs: 1000 });
    gate.pause();
    let calls = 0;
    const pending = gate.admit(req(1, 'tools/call', 'echo', 't'), { notifyClient: () => { calls++; throw new Error('client gone'); } });
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toBe(2);
    gate.resume();
    await expect(pending).resolves.toEqual({ action: 'forward' });
  });

  it('holds breakpoint matches for approval while other requests flow', async () => {
    const { gate, proxy, events } = setup({ breakOn: ['tools/call:delete_*', 'resources/read'] });
    proxy.send(req(1, 'tools/call', 'delete_all'));
    proxy.send(req(2, 'tools/call', 'echo'));
    proxy.send({ id: 'r3', method: 'resources/read', params: { uri: 'file:///a' } });
    await tick();
    expect(proxy.forwarded).toEqual([2]);
    expect(gate.state().held).toEqual([
      { request_id: 1, method: 'tools/call', target: 'delete_all', awaiting_approval: true },
      { request_id: 'r3', method: 'resources/read', target: 'file:///a', awaiting_approval: true },
    ]);
    const waiting = events.filter((e) => e.type === 'WaitingOnSignal');
    expect(waiting).toHaveLength(2);
    expect(waiting[0]).toMatchObject({ signal: 'approve', request_id: 1, method: 'tools/call' });
    expect(gate.reject('too dangerous', 1).request_id).toBe(1);
    expect(gate.approve().request_id).toBe('r3');
    await proxy.flush();
    expect(proxy.forwarded).toEqual([2, 'r3']);
    expect(proxy.answered).toEqual([{ id: 1, code: REJECTED_ERROR_CODE, message: 'rejected by mcpscope: too dangerous' }]);
    expect(() => gate.approve()).toThrow(/no request is waiting/);
    expect(() => gate.reject(undefined, 99)).toThrow(/no request with id 99/);
  });

  it('resume does not release requests waiting for approval; approve works while paused', async () => {
    const { gate, proxy } = setup({ breakOn: ['tools/call'] });
    gate.pause();
    proxy.send(req(1));
    proxy.send(req(2, 'ping'));
    expect(gate.resume()).toBe(1);
    await tick();
    expect(proxy.forwarded).toEqual([2]);
    gate.pause();
    gate.approve('1'); // ids compare as strings: a tool passes "1" for 1
    await proxy.flush();
    expect(proxy.forwarded).toEqual([2, 1]);
  });

  it('never drops: a burst of mixed requests is all forwarded or answered', async () => {
    const { gate, proxy } = setup({ breakOn: ['tools/call:delete_*'] });
    gate.pause();
    for (let i = 0; i < 200; i++) proxy.send(req(i, i % 3 === 0 ? 'tools/call' : 'ping', i % 6 === 0 ? 'delete_it' : 'echo'));
    gate.step();
    gate.resume();
    for (let i = 0; i < 10 && gate.held() > 0; i++) {
      if (i % 2 === 0) gate.approve();
      else gate.reject('no');
    }
    gate.cancelAll('done');
    await proxy.flush();
    expect(proxy.forwarded.length + proxy.answered.length).toBe(200);
    expect(new Set([...proxy.forwarded, ...proxy.answered.map((a) => a.id)]).size).toBe(200);
  });

  it('reports state changes to onChange listeners', async () => {
    const { gate, proxy } = setup();
    let changes = 0;
    const off = gate.onChange(() => changes++);
    gate.pause();
    proxy.send(req(1));
    gate.resume();
    off();
    gate.pause();
    expect(changes).toBe(3);
  });
});
