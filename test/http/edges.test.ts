import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/core/jsonDepth.js';
import { startGateway, type GatewayHandle } from '../../src/http/startGateway.js';
import { createControlClient } from '../../src/sessions/controlClient.js';
import { createEventBus } from '../../src/sessions/eventBus.js';
import { createSessionControl, type SessionControl } from '../../src/sessions/sessionControl.js';
import { createSessionIndex } from '../../src/store/sessionIndex.js';
import { ensureBuilt, startLiveChild, type LiveChild } from '../sessions/helpers/liveChild.js';
import { rawRequest, spanLine, startFixture, writeTrace, type GatewayFixture } from './gatewayFixture.js';
import { openSse } from './sseClient.js';

const ID = 'edges-trace-0001';

/** A body nested `depth` levels deep: `{"signal":"pause","payload":[[[…]]]}`. */
function deepSignalBody(depth: number): string {
  return `{"signal":"pause","payload":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
}

/**
 * Headers that differ between any two responses, and Transfer-Encoding, which a response to
 * HEAD may omit (RFC 9110 9.3.2: fields only known while generating the content).
 */
const VOLATILE = new Set(['date', 'keep-alive', 'connection', 'transfer-encoding']);

function stableHeaders(headers: Record<string, string | string[] | undefined>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !VOLATILE.has(k)));
}

describe('HEAD wherever GET works (RFC 9110 9.3.2)', () => {
  let fx: GatewayFixture;
  beforeAll(async () => {
    fx = await startFixture((dir) => ({ index: createSessionIndex(dir), sse: { maxClients: 1 } }));
    await writeTrace(fx.dir, ID, [[spanLine(0), spanLine(1)], [spanLine(2)]]);
  });
  afterAll(async () => {
    await fx?.close();
  });

  const get = async (method: 'GET' | 'HEAD', path: string, headers: Record<string, string> = {}) => {
    const res = await request(`${fx.gateway.url}${path}`, { method, headers });
    const body = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body };
  };

  it('answers HEAD on /, /health, /sessions and /trace with the status and headers of GET and no body', async () => {
    const cases: [string, Record<string, string>][] = [
      ['/_inspector/health', {}],
      ['/_inspector/sessions', {}],
      ['/_inspector/sessions?limit=1', {}],
      [`/_inspector/trace/${ID}`, {}],
      [`/_inspector/trace/${ID}`, { range: 'bytes=10-99' }],
      [`/_inspector/trace/${ID}`, { 'accept-encoding': 'gzip' }],
      [`/_inspector/trace/${ID}.jsonl.gz`, { range: 'bytes=-20' }],
      ['/_inspector/health?x=1', {}],
      ['/_inspector/trace/no-such-session', {}],
    ];
    for (const [path, headers] of cases) {
      const g = await get('GET', path, headers);
      const h = await get('HEAD', path, headers);
      expect(h.status, path).toBe(g.status);
      expect(stableHeaders(h.headers), path).toEqual(stableHeaders(g.headers));
      expect(h.body, path).toBe('');
    }
    // ETag round trip on HEAD: a conditional HEAD gets 304 like a GET.
    const first = await get('HEAD', `/_inspector/trace/${ID}`);
    expect(first.headers.etag).toMatch(/^"/);
    expect((await get('HEAD', `/_inspector/trace/${ID}`, { 'if-none-match': String(first.headers.etag) })).status).toBe(304);
    // The page: same head except its per-response CSP nonce.
    const page = await get('GET', '/');
    const pageHead = await get('HEAD', '/');
    expect(pageHead.status).toBe(200);
    expect(pageHead.body).toBe('');
    expect(pageHead.headers['content-length']).toBe(page.headers['content-length']);
    expect(Object.keys(stableHeaders(pageHead.headers)).sort()).toEqual(Object.keys(stableHeaders(page.headers)).sort());
  });

  it('lists HEAD in Allow, answers HEAD /events without taking a client slot, and keeps 405 for /mcp', async () => {
    const put = await get('GET', '/_inspector/health').then(() => request(`${fx.gateway.url}/_inspector/health`, { method: 'PUT' }));
    await put.body.dump();
    expect(put.statusCode).toBe(405);
    expect(put.headers.allow).toBe('GET, HEAD');
    // maxClients is 1: HEADs that opened streams would make the GET below a 503.
    for (let i = 0; i < 3; i++) {
      const h = await get('HEAD', '/_inspector/events');
      expect(h.status).toBe(200);
      expect(h.headers['content-type']).toBe('text/event-stream');
      expect(h.body).toBe('');
    }
    const stream = await openSse(`${fx.gateway.url}/_inspector/events`);
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toBe('text/event-stream');
      expect((await get('HEAD', '/_inspector/events')).status).toBe(503);
    } finally {
      stream.close();
    }
    expect((await get('HEAD', '/_inspector/events?bogus=1')).status).toBe(400);
    const mcp = await request(`${fx.gateway.url}/mcp`, { method: 'HEAD', headers: { authorization: `Bearer ${fx.gateway.token}` } });
    await mcp.body.dump();
    expect(mcp.statusCode).toBe(405);
    expect(mcp.headers.allow).toBe('POST, GET, DELETE');
  });
});

describe('repeated singleton header fields (RFC 9112 3.2)', () => {
  let fx: GatewayFixture;
  beforeAll(async () => {
    fx = await startFixture();
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('answers 400 to two Host lines (equal or not) and to two credentials; one Host is 200', async () => {
    const req = (lines: string[]) => rawRequest(fx.gateway.port, `GET /_inspector/health HTTP/1.1\r\n${lines.join('\r\n')}\r\nConnection: close\r\n\r\n`);
    expect((await req([`Host: ${fx.host}`])).status).toBe(200);
    const twoHosts = await req([`Host: ${fx.host}`, 'Host: evil.example']);
    expect(twoHosts.status).toBe(400);
    expect(JSON.parse(twoHosts.body)).toEqual({ error: { code: 'BAD_REQUEST', message: 'header host given more than once' } });
    expect((await req([`Host: ${fx.host}`, `host: ${fx.host}`])).status).toBe(400);
    expect((await req(['Host: evil.example', `Host: ${fx.host}`])).status).toBe(400);
    const token = fx.gateway.token;
    expect((await req([`Host: ${fx.host}`, `Authorization: Bearer ${token}`, 'Authorization: Bearer wrong-token-wrong-token'])).status).toBe(400);
    expect((await req([`Host: ${fx.host}`, `X-Inspector-Token: ${token}`, `X-Inspector-Token: ${token}`])).status).toBe(400);
    expect((await req([`Host: ${fx.host}`, `Origin: http://${fx.host}`, 'Origin: http://evil.example'])).status).toBe(400);
  });
});

describe('request timeouts', () => {
  let fx: GatewayFixture;
  const HEAD_MS = 300;
  beforeAll(async () => {
    fx = await startFixture({ timeouts: { headersMs: HEAD_MS, requestMs: 400, keepAliveMs: 300 }, sse: { heartbeatMs: 1500 } });
  });
  afterAll(async () => {
    await fx?.close();
  });

  /** Opens a raw connection, sends `text` (maybe nothing) and resolves when the server closes it. */
  function closedAfter(text: string, limitMs = 5000): Promise<{ ms: number; received: string }> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const socket = connect(fx.gateway.port, '127.0.0.1');
      let received = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connection still open after ${limitMs} ms`));
      }, limitMs);
      socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ ms: Date.now() - started, received });
      });
      if (text) socket.write(text);
    });
  }

  it('closes a connection that never sends a byte, and one that stalls mid-head, while an event stream stays open', async () => {
    const stream = await openSse(`${fx.gateway.url}/_inspector/events`);
    try {
      const silent = await closedAfter('');
      expect(silent.ms).toBeGreaterThanOrEqual(HEAD_MS - 50);
      expect(silent.received).toMatch(/^(HTTP\/1\.1 408|$)/);
      const stalled = await closedAfter(`GET /_inspector/health HTTP/1.1\r\nHost: ${fx.host}\r\nX-Slow: `);
      expect(stalled.ms).toBeGreaterThanOrEqual(HEAD_MS - 50);
      // The stream has been silent longer than every limit; its next heartbeat still arrives.
      const before = stream.raw().length;
      await stream.until(() => stream.raw().length > before && /\n:[^\n]*\n\n$/.test(stream.raw()), 5000);
      expect(stream.raw()).toContain('retry:2000');
    } finally {
      stream.close();
    }
    // A request that arrives in time is answered as ever.
    expect((await rawRequest(fx.gateway.port, `GET /_inspector/health HTTP/1.1\r\nHost: ${fx.host}\r\nConnection: close\r\n\r\n`)).status).toBe(200);
  });
});

describe('JSON nested too deep', () => {
  const LIVE = 'deep-json-live-1';
  let root: string;
  let gateway: GatewayHandle;
  let control: SessionControl;
  let child: LiveChild;

  beforeAll(async () => {
    ensureBuilt();
    root = await mkdtemp(join(tmpdir(), 'inspector-deep-'));
    // The session lives in another process, as a proxy's does: signals cross its control socket.
    child = await startLiveChild({ tracesDir: root, sessionId: LIVE });
    await child.waitFor((l) => 'ready' in l, 10_000);
    control = await createSessionControl({ tracesDir: root, bus: createEventBus(), log: () => undefined });
    gateway = await startGateway({ tracesDir: root, host: '127.0.0.1', port: 0, control, log: () => undefined });
    for (let i = 0; i < 100 && !control.getLive(LIVE); i++) await new Promise((r) => setTimeout(r, 50));
    expect(control.getLive(LIVE)).toBeDefined();
  }, 30_000);
  afterAll(async () => {
    await gateway?.close();
    await control?.close();
    child?.proc.kill('SIGKILL');
    await child?.exited;
    await rm(root, { recursive: true, force: true });
  });

  const signal = async (body: string) => {
    const res = await request(`${gateway.url}/_inspector/signal/${LIVE}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' },
      body,
    });
    return { status: res.statusCode, body: (await res.body.json()) as { error?: { code: string; message: string }; status?: string } };
  };

  it('answers a 20,000-deep payload on POST /signal with 400, not 503 "unreachable"; 100 deep still works', async () => {
    const deep = await signal(deepSignalBody(20_000));
    expect(deep.status).toBe(400);
    expect(deep.body.error).toEqual({ code: 'INVALID_ARGUMENT', message: `request body nests deeper than ${MAX_JSON_DEPTH} levels` });
    expect((await signal(deepSignalBody(MAX_JSON_DEPTH + 1))).status).toBe(400);
    // Brackets inside strings (escaped quotes too) do not count.
    const stringy = await signal(JSON.stringify({ signal: 'pause', payload: { reason: `\\"${'[{'.repeat(240)}` } }));
    expect(stringy.status).toBe(200);
    expect(stringy.body.status).toBe('paused');
    const ok = await signal(JSON.stringify({ signal: 'resume', payload: {} }));
    expect(ok.status).toBe(200);
  });

  it('the control socket refuses an over-deep body with 400, and its client refuses to send one', async () => {
    const reg = JSON.parse(await readFile(join(root, 'live', `${LIVE}.json`), 'utf8')) as { socket: string };
    const agent = new Agent({ connect: { socketPath: reg.socket } });
    try {
      const res = await request('http://control/signal', { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: deepSignalBody(20_000) });
      expect(res.statusCode).toBe(400);
      expect(await res.body.json()).toEqual({ error: { code: 'INVALID_ARGUMENT', message: `signal body nests deeper than ${MAX_JSON_DEPTH} levels` } });
    } finally {
      await agent.close();
    }
    const client = createControlClient(reg.socket);
    try {
      let payload: unknown = [];
      for (let i = 0; i < 20_000; i++) payload = [payload];
      await expect(client.signal('pause', payload)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/nests deeper than/) });
      expect(await client.signal('pause', { reason: 'still reachable' })).toMatchObject({ status: 'paused' });
      await client.signal('resume');
    } finally {
      await client.close();
    }
  });
});
