import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus } from '../../../src/sessions/eventBus.js';
import { createRequestGate } from '../../../src/sessions/requestGate.js';
import { createLiveSessionRegistry, registerLiveSession, type LiveSessionRegistry } from '../../../src/sessions/liveSessionRegistry.js';
import { createLocalSessionControl } from '../../../src/sessions/sessionControl.js';
import { createSessionIndex } from '../../../src/store/sessionIndex.js';
import { createTraceWriter } from '../../../src/store/traceWriter.js';
import { rawRequest, startFixture, type GatewayFixture } from '../gatewayFixture.js';
import { openSse } from '../sseClient.js';

let fx: GatewayFixture;
let registry: LiveSessionRegistry;
const LIVE = 'live-session-1';
const WORKFLOW = 'workflow-run-1';
const DONE = 'finished-sess-1';

beforeAll(async () => {
  const bus = createEventBus();
  registry = createLiveSessionRegistry({ bus, heartbeatMs: 60_000 });
  const control = createLocalSessionControl({ registry });
  fx = await startFixture((dir) => ({ control, index: createSessionIndex(dir) }));
  await registerLiveSession(registry, { sessionId: LIVE, title: 'proxy', engine: 'proxy', gate: createRequestGate({ bus, sessionId: LIVE }) });
  await registerLiveSession(registry, {
    sessionId: WORKFLOW,
    title: 'workflow',
    engine: 'workflow',
    onSignal: (signal, payload) => (signal === 'human_input_answer' ? `answered ${JSON.stringify((payload as { answer: unknown }).answer)}` : undefined),
  });
  const writer = createTraceWriter({ tracesDir: fx.dir, sessionId: DONE, title: 'done', engine: 'proxy' });
  await writer.close({ status: 'completed' });
});
afterAll(async () => {
  await registry?.close();
  await fx?.close();
});

async function post(path: string, body: string | undefined, headers: Record<string, string> = {}) {
  const res = await request(`${fx.gateway.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fx.gateway.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body ?? null,
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

describe('POST /_inspector/signal and /cancel', () => {
  it('delivers signals with the semantics of the MCP tools, visible on /events', async () => {
    const events = await openSse(`${fx.gateway.url}/_inspector/events?session_id=${LIVE}`);
    try {
      const paused = await post(`/_inspector/signal/${LIVE}`, JSON.stringify({ signal: 'pause', payload: { reason: 'look' } }));
      expect(paused.status).toBe(200);
      expect(paused.body).toMatchObject({ session_id: LIVE, signal: 'pause', status: 'paused' });
      const resumed = await post(`/_inspector/signal/${LIVE}`, JSON.stringify({ signal: 'resume' }));
      expect(resumed.body).toMatchObject({ status: 'running' });
      await events.until(() => events.events.some((e) => e.event === 'SessionResumed'));
      expect(events.events.map((e) => e.event)).toContain('SignalReceived');
    } finally {
      events.close();
    }
    const answered = await post(`/_inspector/signal/${WORKFLOW}`, JSON.stringify({ signal: 'human_input_answer', payload: { answer: 42 } }));
    expect(answered.status).toBe(200);
    expect(answered.body!.message).toBe('answered 42');
  });

  it('maps errors: 404 unknown, 409 not expected / not live, 400 bad payload or signal', async () => {
    const cases: [string, string, number, string][] = [
      [`/_inspector/signal/unknown-session`, JSON.stringify({ signal: 'pause' }), 404, 'SESSION_NOT_FOUND'],
      [`/_inspector/signal/${LIVE}`, JSON.stringify({ signal: 'resume' }), 409, 'SIGNAL_NOT_EXPECTED'],
      [`/_inspector/signal/${LIVE}`, JSON.stringify({ signal: 'approve' }), 409, 'SIGNAL_NOT_EXPECTED'],
      [`/_inspector/signal/${DONE}`, JSON.stringify({ signal: 'pause' }), 409, 'SESSION_NOT_LIVE'],
      [`/_inspector/cancel/${DONE}`, '{}', 409, 'SESSION_NOT_LIVE'],
      [`/_inspector/signal/${LIVE}`, JSON.stringify({ signal: 'pause', payload: { reason: 7 } }), 400, 'INVALID_ARGUMENT'],
      [`/_inspector/signal/${LIVE}`, JSON.stringify({ signal: 'no-such-signal' }), 400, 'UNKNOWN_SIGNAL'],
      [`/_inspector/signal/${LIVE}`, JSON.stringify({ signal: 'bad name!' }), 400, 'INVALID_ARGUMENT'],
      [`/_inspector/signal/${LIVE}`, JSON.stringify({ payload: {} }), 400, 'INVALID_ARGUMENT'],
      [`/_inspector/signal/${LIVE}`, JSON.stringify({ signal: 'pause', extra: 1 }), 400, 'INVALID_ARGUMENT'],
      [`/_inspector/signal/${LIVE}`, '[1,2]', 400, 'INVALID_ARGUMENT'],
      [`/_inspector/signal/${LIVE}`, '{"signal": "pause"', 400, 'INVALID_ARGUMENT'],
      [`/_inspector/signal/${LIVE}`, 'null', 400, 'INVALID_ARGUMENT'],
      [`/_inspector/signal/a%2Fb%2Fc%00d`, JSON.stringify({ signal: 'pause' }), 400, 'INVALID_SESSION_ID'],
    ];
    for (const [path, body, status, code] of cases) {
      const res = await post(path, body);
      expect([res.status, res.body?.error?.code], `${path} ${body}`).toEqual([status, code]);
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
    }
    // A raw `%2e%2e` segment (URL clients would normalise it away) is refused as an id.
    const raw = await rawRequest(fx.gateway.port, `POST /_inspector/signal/%2e%2e HTTP/1.1\r\nHost: ${fx.host}\r\nAuthorization: Bearer ${fx.gateway.token}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
    expect(raw.status).toBe(400);
    expect(raw.body).toContain('INVALID_SESSION_ID');
  });

  it('requires a JSON body of at most 64 KB', async () => {
    expect((await post(`/_inspector/signal/${LIVE}`, 'signal=pause', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await post(`/_inspector/signal/${LIVE}`, '{"signal":"pause"}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(`/_inspector/signal/${LIVE}`, undefined)).status).toBe(400);
    const big = JSON.stringify({ signal: 'human_input_answer', payload: { answer: 'x'.repeat(70 * 1024) } });
    const res = await post(`/_inspector/signal/${WORKFLOW}`, big);
    expect(res.status).toBe(413);
    expect(res.body!.error.code).toBe('PAYLOAD_TOO_LARGE');
    // Invalid UTF-8 is refused, not mangled.
    const bad = await request(`${fx.gateway.url}/_inspector/signal/${LIVE}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fx.gateway.token}`, 'content-type': 'application/json' },
      body: Buffer.from([0x7b, 0xff, 0x7d]),
    });
    expect(bad.statusCode).toBe(400);
    await bad.body.dump();
  });

  it('cancels a live session (empty body or a reason), then it is no longer live', async () => {
    const res = await post(`/_inspector/cancel/${LIVE}`, undefined);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ session_id: LIVE, signal: 'cancel', status: 'cancelled' });
    const again = await post(`/_inspector/cancel/${LIVE}`, JSON.stringify({ reason: 'again' }));
    expect([again.status, again.body!.error.code]).toEqual([409, 'SESSION_NOT_LIVE']);
    expect((await post(`/_inspector/cancel/${WORKFLOW}`, JSON.stringify({ reason: 5 }))).status).toBe(400);
  });
});

describe('GET /_inspector/sessions', () => {
  it('lists recorded and live sessions with the list_sessions filters and cursors', async () => {
    const get = async (q: string) => {
      const res = await request(`${fx.gateway.url}/_inspector/sessions${q}`);
      return { status: res.statusCode, body: (await res.body.json()) as Record<string, any> };
    };
    const all = await get('');
    expect(all.status).toBe(200);
    const ids = all.body.sessions.map((s: { id: string }) => s.id);
    expect(ids).toEqual(expect.arrayContaining([WORKFLOW, DONE]));
    expect((await get('?status=completed')).body.sessions.map((s: { id: string }) => s.id)).toEqual([DONE]);
    expect((await get('?engine=workflow,client')).body.sessions.map((s: { id: string }) => s.id)).toEqual([WORKFLOW]);
    expect((await get('?query=WORKFLOW')).body.sessions.map((s: { id: string }) => s.id)).toEqual([WORKFLOW]);
    expect((await get('?has_errors=false&status=completed')).body.sessions.map((s: { id: string }) => s.id)).toEqual([DONE]);
    expect((await get('?has_errors=true&status=completed')).body.sessions).toEqual([]);
    const page = await get('?limit=1');
    expect(page.body.sessions).toHaveLength(1);
    expect(typeof page.body.next_cursor).toBe('string');
    const next = await get(`?limit=1&cursor=${encodeURIComponent(page.body.next_cursor)}`);
    expect(next.body.sessions[0].id).not.toBe(page.body.sessions[0].id);
    for (const [q, code] of [
      ['?limit=0', 'INVALID_ARGUMENT'],
      ['?limit=abc', 'INVALID_ARGUMENT'],
      ['?status=bogus', 'INVALID_ARGUMENT'],
      ['?since=yesterday', 'INVALID_ARGUMENT'],
      ['?cursor=garbage', 'INVALID_CURSOR'],
      ['?unknown=1', 'INVALID_ARGUMENT'],
      ['?limit=1&limit=2', 'INVALID_ARGUMENT'],
      ['?has_errors=maybe', 'INVALID_ARGUMENT'],
    ]) {
      const res = await get(q!);
      expect([res.status, res.body.error.code], q).toEqual([400, code]);
    }
  });
});
