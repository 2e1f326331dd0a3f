import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SessionEvent } from '../../src/core/events.js';
import { readMetaFile } from '../../src/store/metaFile.js';
import { createEventBus } from '../../src/sessions/eventBus.js';
import { createLiveSessionRegistry, registerLiveSession } from '../../src/sessions/liveSessionRegistry.js';
import { createHoldQueue } from '../../src/sessions/holdQueue.js';
import { createLocalSessionControl } from '../../src/sessions/sessionControl.js';
import { createSignalWaiters } from '../../src/sessions/signalWaiters.js';
import { startLiveSession, type StartedLiveSession } from '../../src/sessions/startLiveSession.js';
import { until } from '../until.js';

const PLAN = {
  type: 'object',
  required: ['approved'],
  properties: { approved: { type: 'boolean' }, budget: { type: 'integer', minimum: 0, maximum: 100 } },
  additionalProperties: false,
};

describe('signal waiters', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('validate payloads against the JSON Schema with a message naming the field, and keep waiting on a bad one', async () => {
    const bus = createEventBus();
    const events: SessionEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const waiters = createSignalWaiters({ bus, sessionId: 'wait-session' });
    const answer = waiters.wait('approve_plan', { prompt: 'Approve?', schema: PLAN });
    expect(events.at(-1)).toMatchObject({ type: 'WaitingOnSignal', signal: 'approve_plan', prompt: 'Approve?', schema: PLAN });
    const bad: [unknown, RegExp][] = [
      [{ approved: true, budget: 101 }, /invalid payload for signal 'approve_plan': \/budget: must be <= 100/],
      [{ approved: true, budget: 1.5 }, /\/budget: must be integer/],
      [{ budget: 3 }, /must have required property 'approved'/],
      [{ approved: 'yes' }, /\/approved: must be boolean/],
      [{ approved: true, extra: 1 }, /must NOT have additional properties \('extra'\)/],
      [undefined, /must be object/],
    ];
    for (const [payload, message] of bad) {
      expect(() => waiters.deliver('approve_plan', payload)).toThrow(message);
      expect(waiters.list()).toHaveLength(1);
    }
    waiters.deliver('approve_plan', { approved: true, budget: 100 });
    await expect(answer).resolves.toEqual({ approved: true, budget: 100 });
    expect(waiters.list()).toEqual([]);
    expect(() => waiters.deliver('approve_plan', { approved: true })).toThrow(expect.objectContaining({ code: 'SIGNAL_NOT_EXPECTED' }));
  });

  it('refuses bad names and schemas at once, and the signals that steer the session', () => {
    const waiters = createSignalWaiters({ bus: createEventBus(), sessionId: 'wait-session' });
    expect(() => waiters.wait('no spaces')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => waiters.wait('resume')).toThrow(/steers the session itself/);
    expect(() => waiters.wait('x', { schema: { type: 'nonsense' } })).toThrow(/invalid JSON Schema for signal 'x'/);
    expect(() => waiters.wait('x', { timeoutMs: -1 })).toThrow(/timeoutMs/);
    expect(waiters.list()).toEqual([]);
  });

  it('serves the oldest waiter of a name first, times out when asked to, and rejects all on rejectAll (and later waits too)', async () => {
    vi.useFakeTimers();
    const waiters = createSignalWaiters({ bus: createEventBus(), sessionId: 'wait-session' });
    const first = waiters.wait('go');
    const second = waiters.wait('go');
    const timed = waiters.wait('late', { timeoutMs: 1000 });
    const timedOut = expect(timed).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/no valid 'late' signal within 1000 ms/) });
    waiters.deliver('go', 1);
    await expect(first).resolves.toBe(1);
    vi.advanceTimersByTime(999);
    expect(waiters.has('late')).toBe(true);
    vi.advanceTimersByTime(1);
    await timedOut;
    expect(waiters.list().map((w) => w.signal)).toEqual(['go']);
    waiters.rejectAll(new Error('session cancelled'));
    await expect(second).rejects.toThrow('session cancelled');
    await expect(waiters.wait('again')).rejects.toThrow('session cancelled');
  });
});

describe('waiters on a live session', () => {
  let dir: string;
  const started: StartedLiveSession[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'insp-wait-'));
  });
  afterEach(async () => {
    for (const s of started.splice(0)) await s.finish('completed');
    await rm(dir, { recursive: true, force: true });
  });

  it('reads paused, waiting_on the signal (meta on disk too) while waiting; a bad payload is INVALID_ARGUMENT and it still waits', async () => {
    const session = await startLiveSession({ tracesDir: dir, engine: 'workflow', title: 'waiting', sessionId: 'wait-live-1' });
    started.push(session);
    const control = createLocalSessionControl({ registry: session.registry });
    const answer = session.waitForSignal('approve_plan', { prompt: 'Approve the plan?', schema: PLAN });
    expect(session.meta()).toMatchObject({ status: 'paused', waiting_on: 'approve_plan' });
    expect(session.live()).toMatchObject({ paused: false, cancelled: false, held: [], waiters: [{ signal: 'approve_plan', prompt: 'Approve the plan?', schema: PLAN }] });
    expect(control.getLiveState('wait-live-1')?.waiters).toHaveLength(1);
    await until(async () => (await readMetaFile(join(dir, 'wait-live-1.meta.json')))?.waiting_on === 'approve_plan', 'waiting_on on disk');
    await expect(control.signal('wait-live-1', 'approve_plan', { approved: true, budget: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/\/budget: must be >= 0/) });
    expect(session.meta().waiting_on).toBe('approve_plan');
    expect(await control.signal('wait-live-1', 'approve_plan', { approved: false })).toMatchObject({ status: 'running', message: expect.stringMatching(/delivered 'approve_plan'/) });
    await expect(answer).resolves.toEqual({ approved: false });
    expect(session.live().waiters).toEqual([]);
    await control.close();
  });

  it('cancel rejects the waiter and refuses held steps; finish rejects later waits', async () => {
    const session = await startLiveSession({ tracesDir: dir, engine: 'workflow', title: 'cancelled', sessionId: 'wait-live-2', breakOn: ['deploy'] });
    const answer = session.waitForSignal('human_input_answer', { prompt: 'name?' });
    const step = session.hold({ kind: 'step', method: 'deploy', target: 'prod' });
    expect(session.live().held).toMatchObject([{ kind: 'step', method: 'deploy', target: 'prod', awaiting_approval: true }]);
    expect(session.meta()).toMatchObject({ status: 'paused', waiting_on: 'approve' });
    expect(await session.signal('cancel', { reason: 'enough' })).toMatchObject({ message: 'cancelled: refused 1 held item' });
    await expect(answer).rejects.toMatchObject({ code: 'SESSION_NOT_LIVE' });
    await expect(step).rejects.toMatchObject({ code: 'SESSION_NOT_LIVE', details: { outcome: 'cancelled' } });
    await session.finish('completed'); // the cancel's finish is under way: this waits for it
    await expect(session.waitForSignal('later')).rejects.toMatchObject({ code: 'SESSION_NOT_LIVE' });
    expect((await readMetaFile(join(dir, 'wait-live-2.meta.json')))?.status).toBe('cancelled');
  });

  it('hold: a breakpoint step waits for approve (runs) or reject (throws CONFLICT with the reason); pause/step work on steps', async () => {
    const session = await startLiveSession({ tracesDir: dir, engine: 'workflow', title: 'holds', sessionId: 'wait-live-3', breakOn: ['write_file:*.csv'], record: false });
    started.push(session);
    await expect(session.hold({ kind: 'step', method: 'write_file', target: 'a.txt' })).resolves.toBeUndefined();
    const approved = session.hold({ kind: 'step', method: 'write_file', target: 'a.csv' });
    const rejected = session.hold({ kind: 'step', method: 'write_file', target: 'b.csv' });
    const ids = session.live().held.map((h) => h.id);
    expect(ids).toHaveLength(2);
    expect(await session.signal('approve', { request_id: ids[0] })).toMatchObject({ message: expect.stringMatching(/approved write_file a\.csv .*: released/) });
    await expect(approved).resolves.toBeUndefined();
    await session.signal('reject', { reason: 'not that one' });
    await expect(rejected).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/not that one/) });
    await session.signal('pause');
    const paused = session.hold({ kind: 'step', method: 'next' });
    expect(session.live()).toMatchObject({ paused: true, held: [{ method: 'next', awaiting_approval: false }] });
    expect(await session.signal('step')).toMatchObject({ message: 'released 1 held item; still paused' });
    await expect(paused).resolves.toBeUndefined();
  });

  it('a session registered without a queue cannot be paused, and hold says why', async () => {
    const bus = createEventBus();
    const registry = createLiveSessionRegistry({ bus });
    const session = await registerLiveSession(registry, { sessionId: 'no-queue-1', title: 't', engine: 'inbound' });
    await expect(session.signal('pause')).rejects.toMatchObject({ code: 'SIGNAL_NOT_EXPECTED' });
    await expect(session.hold({ kind: 'step', method: 'x' })).rejects.toMatchObject({ code: 'SIGNAL_NOT_EXPECTED' });
    const queued = await registerLiveSession(registry, { sessionId: 'queue-1', title: 't', engine: 'workflow', queue: createHoldQueue({ bus, sessionId: 'queue-1' }) });
    expect(await queued.signal('pause')).toMatchObject({ status: 'paused' });
    await registry.close();
  });
});
