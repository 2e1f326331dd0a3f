import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../src/core/events.js';
import { readRegistration } from '../../src/sessions/liveRegistration.js';
import { startLiveSession } from '../../src/sessions/startLiveSession.js';
import { until } from '../until.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'insp-start-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('startLiveSession', () => {
  it('registers a control socket, heartbeats the recorded span count, and cleans up on finish', async () => {
    const session = await startLiveSession({ tracesDir: dir, engine: 'workflow', title: 'beats', sessionId: 'start-live-1', heartbeatMs: 20, tags: { team: 'data' } });
    const events: SessionEvent[] = [];
    session.bus.subscribe((e) => events.push(e));
    expect(await readRegistration(join(dir, 'live', 'start-live-1.json'))).toMatchObject({ session_id: 'start-live-1', engine: 'workflow', title: 'beats', pid: process.pid });
    expect(session.meta()).toMatchObject({ id: 'start-live-1', engine: 'workflow', status: 'running', tags: { team: 'data' } });
    session.tracer.startSpan('a').end();
    session.tracer.startSpan('b').end();
    await until(() => events.some((e) => e.type === 'Heartbeat' && e.span_count === 2), 'a heartbeat counting both spans');
    await session.finish('completed');
    expect(events.at(-1)).toMatchObject({ type: 'SessionFinished', status: 'completed' });
    expect(await readdir(join(dir, 'live'))).toEqual([]);
    expect(session.finished).toBe(true);
  });

  it('refuses a malformed breakpoint before anything starts, and a second live session with the same id', async () => {
    await expect(startLiveSession({ tracesDir: dir, engine: 'workflow', title: 'bad', sessionId: 'start-live-2', breakOn: ['tools call'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await readdir(dir)).toEqual([]);
    await expect(startLiveSession({ tracesDir: dir, engine: 'workflow', title: 'bad id', sessionId: 'no' })).rejects.toMatchObject({ code: 'INVALID_SESSION_ID' });
    const first = await startLiveSession({ tracesDir: dir, engine: 'workflow', title: 'first', sessionId: 'start-live-3' });
    try {
      await expect(startLiveSession({ tracesDir: dir, engine: 'workflow', title: 'second', sessionId: 'start-live-3' })).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(first.meta().status).toBe('running');
      expect(await first.signal('pause')).toMatchObject({ status: 'paused', message: 'paused: new items are held until resume or step' });
    } finally {
      await first.finish('completed');
    }
  });

  it('with record: false writes no trace, and still takes signals', async () => {
    const session = await startLiveSession({ tracesDir: dir, engine: 'workflow', title: 'unrecorded', sessionId: 'start-live-4', record: false, onSignal: (s) => (s === 'ping' ? 'pong' : undefined) });
    session.tracer.startSpan('dropped').end();
    expect(await session.signal('ping')).toMatchObject({ message: 'pong' });
    await expect(session.signal('pong')).rejects.toMatchObject({ code: 'UNKNOWN_SIGNAL' });
    await session.finish('completed');
    expect((await readdir(dir)).filter((f) => f.startsWith('start-live-4'))).toEqual([]);
  });
});
