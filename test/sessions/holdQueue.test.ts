import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SessionEvent } from '../../src/core/events.js';
import { createEventBus } from '../../src/sessions/eventBus.js';
import { createHoldQueue, type HoldOutcome, type HoldQueue } from '../../src/sessions/holdQueue.js';
import { createLiveStateEvents } from '../../src/sessions/liveStateEvents.js';

const SID = 'queue-session';

function setup(breakOn: string[] = []) {
  const bus = createEventBus();
  const events: SessionEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const queue = createHoldQueue({ bus, sessionId: SID, breakOn, noun: 'step' });
  const outcomes = new Map<string | number, HoldOutcome | 'passed'>();
  const admit = (id: string | number, method = 'write file', target?: string) => {
    const p = queue.admit({ id, kind: 'step', method, ...(target === undefined ? {} : { target }) });
    if (p === undefined) outcomes.set(id, 'passed');
    else void p.then((o) => outcomes.set(id, o));
    return p;
  };
  return { bus, events, queue, outcomes, admit };
}

const settled = () => new Promise((r) => setImmediate(r));
let queues: HoldQueue[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const q of queues) q.cancelAll('test over');
  queues = [];
});

describe('createHoldQueue', () => {
  it('lets everything through while not paused and without breakpoints, allocating no promise', () => {
    const { queue, admit } = setup();
    queues.push(queue);
    expect(queue.passesAll()).toBe(true);
    expect(admit(1)).toBeUndefined();
    expect(queue.state()).toEqual({ paused: false, cancelled: false, held: [] });
  });

  it('holds in arrival order while paused; step releases the oldest or lends a credit; resume releases the rest', async () => {
    const { queue, admit, outcomes, events } = setup();
    queues.push(queue);
    expect(queue.pause('look')).toBe(true);
    expect(queue.pause()).toBe(false);
    admit('a');
    admit('b', 'read', 'in.csv');
    expect(queue.state().held.map((h) => [h.id, h.kind, h.method, h.target, h.awaiting_approval])).toEqual([
      ['a', 'step', 'write file', undefined, false],
      ['b', 'step', 'read', 'in.csv', false],
    ]);
    expect(queue.state().held[0]!.since).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(queue.step()).toBe(1);
    await settled();
    expect(outcomes.get('a')).toEqual({ action: 'release' });
    expect(outcomes.has('b')).toBe(false);
    expect(queue.resume()).toBe(1);
    await settled();
    expect(outcomes.get('b')).toEqual({ action: 'release' });
    // A step with nothing held lets exactly the next item through.
    queue.pause();
    expect(queue.step()).toBe(0);
    expect(admit('c')).toBeUndefined();
    expect(admit('d')).toBeDefined();
    expect(queue.size()).toBe(1);
    expect(events.filter((e) => e.type === 'SessionPaused' || e.type === 'SessionResumed').map((e) => e.type)).toEqual(['SessionPaused', 'SessionResumed', 'SessionPaused']);
  });

  it('breakpoints wait for approve/reject by id, even when not paused, and announce WaitingOnSignal', async () => {
    const { queue, admit, outcomes, events } = setup(['write*:out.*']);
    queues.push(queue);
    expect(queue.passesAll()).toBe(false);
    expect(admit(1, 'write file', 'log.txt')).toBeUndefined();
    admit(2, 'write file', 'out.csv');
    admit(3, 'write rows', 'out.json');
    expect(queue.state().held.map((h) => [h.id, h.awaiting_approval])).toEqual([[2, true], [3, true]]);
    const waiting = events.filter((e) => e.type === 'WaitingOnSignal');
    expect(waiting).toHaveLength(2);
    expect(waiting[0]).toMatchObject({ signal: 'approve', request_id: 2, method: 'write file', prompt: expect.stringMatching(/approve write file out\.csv\?/) });
    // resume does not release breakpoint holds
    expect(queue.resume()).toBe(0);
    expect(queue.approve('3')).toMatchObject({ id: 3, method: 'write rows', target: 'out.json' });
    expect(queue.reject('not now')).toMatchObject({ id: 2 });
    await settled();
    expect(outcomes.get(3)).toEqual({ action: 'release' });
    expect(outcomes.get(2)).toEqual({ action: 'reject', reason: 'not now' });
    expect(() => queue.approve()).toThrow(/no step is waiting at a breakpoint/);
    expect(() => queue.reject(undefined, 9)).toThrow(/no step with id 9/);
  });

  it('cancelAll refuses what is held and everything after, once; cleanups of held items run', async () => {
    const { queue, outcomes } = setup(['danger']);
    const cleaned: string[] = [];
    queue.pause();
    const held = queue.admit({ id: 'x', kind: 'step', method: 'step one' }, (item) => () => cleaned.push(String(item.id)))!;
    const breakpoint = queue.admit({ id: 'y', kind: 'step', method: 'danger' })!;
    expect(queue.cancelAll('stop')).toBe(2);
    expect(await held).toEqual({ action: 'cancel', reason: 'stop' });
    expect(await breakpoint).toEqual({ action: 'cancel', reason: 'stop' });
    expect(cleaned).toEqual(['x']);
    expect(await queue.admit({ id: 'z', kind: 'step', method: 'later' })).toEqual({ action: 'cancel', reason: 'stop' });
    expect(queue.cancelAll('again')).toBe(0);
    expect(queue.state()).toEqual({ paused: true, cancelled: true, held: [] });
    expect(queue.pause()).toBe(false);
    expect(outcomes.size).toBe(0);
  });

  it('tells listeners of every change and survives a throwing listener', () => {
    const { queue } = setup();
    queues.push(queue);
    let calls = 0;
    queue.onChange(() => {
      throw new Error('listener bug');
    });
    const off = queue.onChange(() => calls++);
    queue.pause();
    queue.admit({ id: 1, kind: 'step', method: 'm' });
    queue.step();
    off();
    queue.resume();
    expect(calls).toBe(3);
  });
});

describe('createLiveStateEvents', () => {
  it('sends the first change at once, then at most one per interval with the latest state, and never the same state twice', () => {
    vi.useFakeTimers();
    const bus = createEventBus();
    const seen: SessionEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    let state = { paused: false, cancelled: false, held: [], waiters: [] as { signal: string; since: string }[] };
    const events = createLiveStateEvents(bus, SID, () => state, 100);
    state = { ...state, paused: true };
    events.changed();
    expect(seen).toHaveLength(1);
    for (let i = 0; i < 10; i++) {
      state = { ...state, waiters: [{ signal: `s${i}`, since: '2026-01-01T00:00:00.000000Z' }] };
      events.changed();
    }
    expect(seen).toHaveLength(1);
    vi.advanceTimersByTime(99);
    expect(seen).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(seen).toHaveLength(2);
    expect(seen[1]).toMatchObject({ type: 'LiveStateChanged', session_id: SID, live: { paused: true, waiters: [{ signal: 's9' }] } });
    vi.advanceTimersByTime(500);
    events.changed(); // nothing changed since the last one sent
    expect(seen).toHaveLength(2);
    state = { ...state, paused: false };
    events.flush();
    events.stop();
    events.changed();
    vi.advanceTimersByTime(1000);
    expect(seen.map((e) => (e.type === 'LiveStateChanged' ? e.live.paused : undefined))).toEqual([true, true, false]);
  });
});
