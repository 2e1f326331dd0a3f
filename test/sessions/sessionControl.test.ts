import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../src/core/events.js';
import { createEventBus } from '../../src/sessions/eventBus.js';
import { createSessionControl, type DiscoveringSessionControl } from '../../src/sessions/sessionControl.js';
import { ensureBuilt, startLiveChild, stopChild, type LiveChild } from './helpers/liveChild.js';

let dir: string;
let children: LiveChild[] = [];
let controls: DiscoveringSessionControl[] = [];

beforeAll(() => ensureBuilt(), 120_000);
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'insp-sc-'));
});
afterEach(async () => {
  await Promise.all(controls.map((c) => c.close()));
  await Promise.all(children.map(stopChild));
  controls = [];
  children = [];
  await rm(dir, { recursive: true, force: true });
});

async function serveLike(rescanMs = 200) {
  const bus = createEventBus();
  const events: SessionEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const control = await createSessionControl({ tracesDir: dir, bus, rescanMs });
  controls.push(control);
  return { bus, events, control };
}

async function until<T>(probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function child(sessionId: string, breakOn?: string[]) {
  const c = await startLiveChild({ tracesDir: dir, sessionId, ...(breakOn ? { breakOn } : {}) });
  children.push(c);
  return c;
}

describe('createSessionControl across processes', () => {
  it('discovers a session, steers it over its socket, and merges its events', async () => {
    const c = await child('remote-one', ['tools/call:echo']);
    const { control, events } = await serveLike();
    expect(control.listLive()).toMatchObject([{ id: 'remote-one', status: 'running', engine: 'proxy', pid: c.proc.pid }]);

    expect(await control.signal('remote-one', 'pause', { reason: 'from serve' })).toMatchObject({ status: 'paused' });
    c.send({ op: 'admit', id: 1, method: 'tools/list' });
    c.send({ op: 'admit', id: 2, method: 'tools/list' });
    await until(() => control.getLive('remote-one')?.status === 'paused');
    expect(await control.signal('remote-one', 'step')).toMatchObject({ message: expect.stringMatching(/released 1/) });
    await c.waitFor((l) => l.decided === 1);
    expect(c.lines.some((l) => l.decided === 2)).toBe(false);
    await control.signal('remote-one', 'resume');
    await c.waitFor((l) => l.decided === 2);

    c.send({ op: 'admit', id: 3, method: 'tools/call', name: 'echo' });
    await until(() => control.getLive('remote-one')?.waiting_on === 'approve');
    await expect(control.signal('remote-one', 'approve', { request_id: 99 })).rejects.toMatchObject({ code: 'SIGNAL_NOT_EXPECTED' });
    await control.signal('remote-one', 'reject', { reason: 'nope' });
    expect(await c.waitFor((l) => l.decided === 3)).toMatchObject({ decision: { action: 'reject', message: expect.stringMatching(/nope/) } });
    await expect(control.signal('remote-one', 'launch')).rejects.toMatchObject({ code: 'UNKNOWN_SIGNAL' });

    await until(() => events.some((e) => e.type === 'SignalReceived' && (e as { signal: string }).signal === 'reject'));
    const types = events.map((e) => e.type).filter((t) => t !== 'LiveStateChanged');
    expect(types.slice(0, 3)).toEqual(['SessionStarted', 'SignalReceived', 'SessionPaused']);
    expect(types).toContain('SessionResumed');
    expect(types).toContain('WaitingOnSignal');
    for (const e of events) expect(e.session_id).toBe('remote-one');

    c.send({ op: 'finish', status: 'completed' });
    await until(() => events.some((e) => e.type === 'SessionFinished'));
    await until(() => control.listLive().length === 0);
    await expect(control.signal('remote-one', 'pause')).rejects.toMatchObject({ code: 'SESSION_NOT_LIVE' });
    await expect(control.signal('never-was-here', 'pause')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });

  it('cancel from another process answers the held request and ends the session', async () => {
    const c = await child('remote-cancel');
    const { control, events } = await serveLike();
    await control.signal('remote-cancel', 'pause');
    c.send({ op: 'admit', id: 5, method: 'tools/call', name: 'echo', progressToken: 'p5' });
    await until(() => control.getLive('remote-cancel')?.status === 'paused');
    expect(await control.signal('remote-cancel', 'cancel', { reason: 'stop it' })).toMatchObject({ status: 'cancelled' });
    expect(await c.waitFor((l) => l.decided === 5)).toMatchObject({ decision: { action: 'reject', message: expect.stringMatching(/stop it/) } });
    expect(await c.waitFor((l) => l.cancelled !== undefined)).toEqual({ cancelled: 'stop it' });
    await until(() => events.find((e) => e.type === 'SessionFinished'));
    expect(events.find((e) => e.type === 'SessionFinished')).toMatchObject({ status: 'cancelled', reason: 'stop it' });
    const meta = JSON.parse(await readFile(join(dir, 'remote-cancel.meta.json'), 'utf8'));
    expect(meta).toMatchObject({ status: 'cancelled', reason: 'stop it' });
  });

  it('reports a SIGKILLed session failed/abandoned, updates its meta and cleans up', async () => {
    const { control, events } = await serveLike();
    const c = await child('remote-killed');
    await control.refresh();
    await until(() => control.getLive('remote-killed'));
    c.proc.kill('SIGKILL');
    await c.exited;
    const finished = await until(() => events.find((e) => e.type === 'SessionFinished'), 5000);
    expect(finished).toMatchObject({ session_id: 'remote-killed', status: 'failed', reason: 'abandoned' });
    expect(control.getLive('remote-killed')).toBeUndefined();
    const meta = JSON.parse(await readFile(join(dir, 'remote-killed.meta.json'), 'utf8'));
    expect(meta).toMatchObject({ status: 'failed', reason: 'abandoned', ended_at: expect.any(String) });
    expect(meta.pid).toBeUndefined();
    const leftovers = async () => (await readdir(join(dir, 'live'))).filter((n) => n.startsWith('remote-killed'));
    for (let i = 0; i < 100 && (await leftovers()).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await leftovers()).toEqual([]);
    await expect(control.signal('remote-killed', 'resume')).rejects.toMatchObject({ code: 'SESSION_NOT_LIVE' });
  });

  it('cleans up stale registrations found at start: dead pid, refusing socket, garbage', async () => {
    const live = join(dir, 'live');
    await mkdir(live, { recursive: true, mode: 0o700 });
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.once('exit', r));
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    try {
      const reg = (id: string, pid: number) => ({ session_id: id, pid, socket: join(live, `${id}.sock`), title: id, engine: 'proxy', started_at: '2026-01-01T00:00:00.000000Z' });
      await writeFile(join(live, 'stale-dead.json'), JSON.stringify(reg('stale-dead', dead.pid!)));
      await writeFile(join(live, 'stale-refuse.json'), JSON.stringify(reg('stale-refuse', sleeper.pid!)));
      await writeFile(join(live, 'garbage-one.json'), '{"half": ');
      await writeFile(join(live, 'mismatch.json'), JSON.stringify(reg('other-name', sleeper.pid!)));
      await writeFile(join(dir, 'stale-dead.meta.json'), JSON.stringify({ id: 'stale-dead', title: 't', engine: 'proxy', status: 'running', started_at: '2026-01-01T00:00:00.000000Z', span_count: 3, error_count: 0, pid: dead.pid }));
      const { control, events } = await serveLike();
      await until(() => events.filter((e) => e.type === 'SessionFinished').length === 2);
      expect(events.filter((e) => e.type === 'SessionFinished').map((e) => e.session_id).sort()).toEqual(['stale-dead', 'stale-refuse']);
      expect(control.listLive()).toEqual([]);
      // Counted from its trace (it has none), not carried over from the dead writer's last meta.
      expect(JSON.parse(await readFile(join(dir, 'stale-dead.meta.json'), 'utf8'))).toMatchObject({ status: 'failed', reason: 'abandoned', span_count: 0 });
      expect((await readdir(live)).sort()).toEqual(['garbage-one.json', 'mismatch.json']);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('notices sessions that start after serve', async () => {
    const { control } = await serveLike(5000);
    expect(control.listLive()).toEqual([]);
    await child('late-comer');
    await until(() => control.getLive('late-comer'), 4000); // fs.watch, well before the 5 s rescan
  });
});
