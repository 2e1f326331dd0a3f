import { connect } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../src/core/events.js';
import { createEventBus, type EventBus } from '../../../src/sessions/eventBus.js';
import { createLiveSessionRegistry } from '../../../src/sessions/liveSessionRegistry.js';
import { createLocalSessionControl } from '../../../src/sessions/sessionControl.js';
import { startFixture, type GatewayFixture } from '../gatewayFixture.js';
import { openSse, type SseClient } from '../sseClient.js';

let fx: GatewayFixture | undefined;
const clients: SseClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await fx?.close();
  fx = undefined;
});

async function setup(sse: { heartbeatMs?: number; maxClients?: number; maxBacklogBytes?: number } = {}, capacity = 1000): Promise<{ bus: EventBus; fx: GatewayFixture }> {
  const bus = createEventBus({ capacity });
  const control = createLocalSessionControl({ registry: createLiveSessionRegistry({ bus }) });
  fx = await startFixture({ control, sse });
  return { bus, fx };
}

async function sse(path = '/_inspector/events', headers: Record<string, string> = {}): Promise<SseClient> {
  const c = await openSse(`${fx!.gateway.url}${path}`, headers);
  clients.push(c);
  return c;
}

function started(bus: EventBus, sessionId: string, title = 't'): SessionEvent {
  return bus.publish({ type: 'SessionStarted', session_id: sessionId, title, engine: 'proxy' });
}

describe('GET /_inspector/events', () => {
  it('streams every bus event with id, event type and JSON data, after retry: 2000', async () => {
    const { bus } = await setup();
    const c = await sse();
    expect(c.status).toBe(200);
    expect(c.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(c.headers['x-accel-buffering']).toBe('no');
    await c.until(() => c.raw().includes('retry:2000'));
    const sent = [started(bus, 'sess-one'), bus.publish({ type: 'SessionPaused', session_id: 'sess-two', reason: 'held' }), started(bus, 'sess-three')];
    await c.until(() => c.events.length === 3);
    expect(c.events.map((e) => [e.id, e.event])).toEqual(sent.map((e) => [e.id, e.type]));
    expect(JSON.parse(c.events[1]!.data)).toEqual(sent[1]);
    expect(sent[0]!.id).toMatch(/^[A-Za-z0-9]+-1$/);
  });

  it('replays exactly the missed events after Last-Event-ID, then continues live without duplicates', async () => {
    const { bus } = await setup();
    const first = await sse();
    for (let i = 0; i < 3; i++) started(bus, `sess-${i}aaa`);
    await first.until(() => first.events.length === 3);
    const lastSeen = first.events[2]!.id!;
    first.close();
    const missed = [0, 1, 2, 3].map((i) => started(bus, `sess-miss${i}`));
    const again = await sse('/_inspector/events', { 'last-event-id': lastSeen });
    await again.until(() => again.events.length === 4);
    const live = started(bus, 'sess-live1');
    await again.until(() => again.events.length === 5);
    expect(again.events.map((e) => e.id)).toEqual([...missed.map((e) => e.id), live.id]);
    expect(again.events.some((e) => e.event === 'EventsLost')).toBe(false);
  });

  it('says so when missed events were evicted or the id is from another boot', async () => {
    const { bus } = await setup({}, 3);
    const one = started(bus, 'sess-old01');
    for (let i = 0; i < 5; i++) started(bus, `sess-new${i}x`);
    const c = await sse('/_inspector/events', { 'last-event-id': one.id });
    await c.until(() => c.events.length === 4);
    expect(c.events[0]!.event).toBe('EventsLost');
    expect(c.events[0]!.id).toBeUndefined();
    expect(c.events.slice(1).map((e) => JSON.parse(e.data).session_id)).toEqual(['sess-new2x', 'sess-new3x', 'sess-new4x']);
    const other = await sse('/_inspector/events', { 'last-event-id': 'otherboot-7' });
    await other.until(() => other.events.length === 4);
    expect(other.events[0]!.event).toBe('EventsLost');
  });

  it('filters by ?session_id=, also on replay, and validates its inputs', async () => {
    const { bus } = await setup();
    const before = started(bus, 'sess-before');
    const c = await sse('/_inspector/events?session_id=sess-wanted');
    started(bus, 'sess-other1');
    const wanted = started(bus, 'sess-wanted');
    started(bus, 'sess-other2');
    await c.until(() => c.events.length === 1);
    const replay = await sse('/_inspector/events?session_id=sess-wanted', { 'last-event-id': before.id });
    await replay.until(() => replay.events.length === 1);
    expect(c.events[0]!.id).toBe(wanted.id);
    expect(replay.events[0]!.id).toBe(wanted.id);
    for (const bad of ['?session_id=..%2F..', '?session_id=a', '?other=1', '?session_id=sess-wanted&session_id=sess-other1']) {
      const res = await request(`${fx!.gateway.url}/_inspector/events${bad}`);
      await res.body.dump();
      expect(res.statusCode, bad).toBe(400);
    }
    const badId = await request(`${fx!.gateway.url}/_inspector/events`, { headers: { 'last-event-id': 'x'.repeat(500) } });
    await badId.body.dump();
    expect(badId.statusCode).toBe(400);
  });

  it('sends comment heartbeats', async () => {
    await setup({ heartbeatMs: 30 });
    const c = await sse();
    await c.until(() => (c.raw().match(/^:\s*\n\n/gm) ?? []).length >= 2, 3000);
  });

  it('answers 503 past the maximum number of clients, and admits again when one leaves', async () => {
    await setup({ maxClients: 2 });
    const a = await sse();
    await sse();
    const third = await request(`${fx!.gateway.url}/_inspector/events`);
    expect(third.statusCode).toBe(503);
    expect(JSON.parse(await third.body.text()).error.code).toBe('TOO_MANY_CLIENTS');
    a.close();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const res = await request(`${fx!.gateway.url}/_inspector/events`);
      status = res.statusCode;
      res.body.destroy();
    }
    expect(status).toBe(200);
  });

  it('drops a client that never reads instead of buffering without bound, while readers keep up', async () => {
    const { bus } = await setup({ maxBacklogBytes: 128 * 1024 });
    const reader = await sse('/_inspector/events?session_id=sess-flood');
    const socket = connect(fx!.gateway.port, '127.0.0.1');
    let received = 0;
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(`GET /_inspector/events HTTP/1.1\r\nHost: ${fx!.host}\r\n\r\n`);
    // Wait for the response head, then stop reading.
    await new Promise<void>((r) => socket.once('data', (d: Buffer) => ((received += d.length), r())));
    socket.pause();
    const payload = 'p'.repeat(8 * 1024);
    const dropped = () => fx!.logs.some((l) => l.includes('dropped a slow event stream client'));
    let published = 0;
    let count = 0;
    // One event per turn of the event loop: a reading client keeps up, the paused one cannot.
    for (let i = 0; i < 5000 && !dropped(); i++) {
      bus.publish({ type: 'SignalReceived', session_id: 'sess-flood', signal: 'human_input_answer', payload });
      published += payload.length;
      count++;
      await new Promise((r) => setImmediate(r));
    }
    expect(dropped()).toBe(true);
    socket.on('data', (d: Buffer) => (received += d.length));
    socket.resume();
    for (let i = 0; i < 300 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(true);
    // The reading client was not dropped and saw every event.
    await reader.until(() => reader.events.length === count, 10_000);
    // The dropped client's backlog (over the cap) was discarded, not kept: it got less than the
    // reader (same events; its extra HTTP head and chunk framing are far below the 128 KB cap).
    expect(received).toBeLessThan(reader.raw().length - 64 * 1024);
    expect(published).toBe(count * payload.length);
    expect(fx!.logs.filter((l) => l.includes('dropped a slow event stream client'))).toHaveLength(1);
  });
});
