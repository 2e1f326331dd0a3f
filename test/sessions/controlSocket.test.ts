import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../src/core/events.js';
import { createControlClient, type ControlStreamItem } from '../../src/sessions/controlClient.js';
import { createEventBus } from '../../src/sessions/eventBus.js';
import { SOCKET_PATH_MAX_BYTES, chooseSocketPath, readRegistration } from '../../src/sessions/liveRegistration.js';
import { createLiveSessionRegistry, registerLiveSession } from '../../src/sessions/liveSessionRegistry.js';
import { createRequestGate } from '../../src/sessions/requestGate.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'insp-ctl-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function liveInProcess(tracesDir: string, sessionId = 'ctl-session') {
  const bus = createEventBus();
  const registry = createLiveSessionRegistry({ bus, tracesDir });
  const gate = createRequestGate({ bus, sessionId, breakOn: ['tools/call:delete_*'] });
  const session = await registerLiveSession(registry, { sessionId, title: 'ctl', engine: 'proxy', gate });
  const reg = await readRegistration(join(tracesDir, 'live', `${sessionId}.json`));
  return { bus, registry, gate, session, reg: reg! };
}

describe('control socket', () => {
  it('registers the session with a 0700 live dir and a 0600 socket', async () => {
    const { reg, registry } = await liveInProcess(dir);
    expect(reg).toMatchObject({ session_id: 'ctl-session', pid: process.pid, socket: join(dir, 'live', 'ctl-session.sock'), title: 'ctl', engine: 'proxy' });
    expect((await stat(join(dir, 'live'))).mode & 0o777).toBe(0o700);
    expect((await stat(reg.socket)).isSocket()).toBe(true);
    await registry.close();
    expect(await readdir(join(dir, 'live'))).toEqual([]);
  });

  it('serves state, signals and an event stream over undici', async () => {
    const { reg, registry, gate, session } = await liveInProcess(dir);
    const client = createControlClient(reg.socket);
    try {
      expect(await client.state()).toMatchObject({ meta: { id: 'ctl-session', status: 'running' }, gate: { paused: false, held: [] } });
      const items: ControlStreamItem[] = [];
      const abort = new AbortController();
      const streaming = client.events(undefined, (i) => items.push(i), abort.signal);
      streaming.catch(() => undefined);
      await expect(client.signal('pause', 'not an object')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await client.signal('pause', { reason: 'look' })).toMatchObject({ status: 'paused' });
      const held = gate.admit({ id: 3, method: 'tools/call', params: { name: 'delete_x' } }, { notifyClient: () => undefined })!;
      expect((await client.state()).gate?.held).toEqual([{ request_id: 3, method: 'tools/call', target: 'delete_x', awaiting_approval: true }]);
      await expect(client.signal('approve', { request_id: 4 })).rejects.toMatchObject({ code: 'SIGNAL_NOT_EXPECTED' });
      await expect(client.signal('nope')).rejects.toMatchObject({ code: 'UNKNOWN_SIGNAL', message: expect.stringMatching(/unknown signal 'nope'/) });
      await client.signal('reject', { reason: 'no' });
      await expect(held).resolves.toMatchObject({ action: 'reject' });
      await session.finish('completed');
      await streaming;
      const events = items.flatMap((i) => ('event' in i && i.event.type !== 'LiveStateChanged' ? [i.event.type] : []));
      expect(events).toEqual(['SessionStarted', 'SignalReceived', 'SessionPaused', 'WaitingOnSignal', 'SignalReceived', 'SessionFinished']);
      expect(items.filter((i) => 'state' in i).length).toBeGreaterThanOrEqual(3);
      await expect(client.state()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      await client.close();
      await registry.close();
    }
  });

  it('answers malformed requests with errors, not crashes', async () => {
    const { reg, registry } = await liveInProcess(dir);
    const { Agent, request } = await import('undici');
    const agent = new Agent({ connect: { socketPath: reg.socket } });
    try {
      const bad = await request('http://x/signal', { method: 'POST', dispatcher: agent, body: '{not json' });
      expect(bad.statusCode).toBe(400);
      expect(await bad.body.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
      const wrong = await request('http://x/signal', { method: 'POST', dispatcher: agent, body: JSON.stringify({ sig: 'pause' }) });
      expect(wrong.statusCode).toBe(400);
      await wrong.body.dump();
      const missing = await request('http://x/nothing', { dispatcher: agent });
      expect(missing.statusCode).toBe(404);
      await missing.body.dump();
      const huge = await request('http://x/signal', { method: 'POST', dispatcher: agent, body: 'x'.repeat(200_000) }).catch(() => undefined);
      if (huge) {
        expect(huge.statusCode).toBe(400);
        await huge.body.dump();
      }
    } finally {
      await agent.destroy();
      await registry.close();
    }
  });

  it('puts the socket in a short private dir when the traces path is too long', async () => {
    const deep = join(dir, 'a'.repeat(60), 'b'.repeat(60));
    const path = await chooseSocketPath(deep, 'long-session-id');
    expect(Buffer.byteLength(path)).toBeLessThanOrEqual(SOCKET_PATH_MAX_BYTES);
    expect(path.startsWith(deep)).toBe(false);
    const { reg, registry } = await liveInProcess(deep, 'long-session-id');
    expect(reg.socket).toBe(path);
    expect((await stat(join(path, '..'))).mode & 0o777).toBe(0o700);
    const client = createControlClient(reg.socket);
    expect((await client.state()).meta.id).toBe('long-session-id');
    await client.close();
    await registry.close();
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

export type { SessionEvent };
