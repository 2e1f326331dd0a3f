import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './proxyHarness.js';

interface Seen {
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A hand-written Streamable HTTP server: JSON for initialize, SSE for other requests, 405 on GET. */
async function fakeServer(options: { expireAfter?: number } = {}): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  let posts = 0;
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    seen.push({ method: req.method!, headers: req.headers, body });
    if (req.method === 'GET') return void res.writeHead(405).end();
    if (req.method === 'DELETE') return void res.writeHead(200).end();
    posts++;
    if (options.expireAfter !== undefined && posts > options.expireAfter) return void res.writeHead(404).end('gone');
    const msg = JSON.parse(body);
    if (msg.id === undefined) return void res.writeHead(202).end();
    if (msg.method === 'initialize') {
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'sess-42' });
      // pretty-printed on purpose: the proxy must deliver it as one line
      return void res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 'fake', version: '1' } } }, null, 2));
    }
    if (msg.method === 'broken') return void res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
    if (msg.method === 'silent') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      return void res.end(': nothing\n\n');
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}\n\n`);
    res.end(`id: e1\ndata: {"jsonrpc":"2.0","id":${JSON.stringify(msg.id)},\ndata: "result":{"echo":${JSON.stringify(msg.method)}}}\n\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, seen, server };
}

const initialize = '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n';
let h: Harness | undefined;
let servers: Server[] = [];

afterEach(async () => {
  await h?.proxy.close();
  h = undefined;
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  servers = [];
});

describe('HTTP upstream', () => {
  it('speaks Streamable HTTP: headers, session id, protocol version, SSE and JSON replies, GET probe, DELETE', async () => {
    const fake = await fakeServer();
    servers.push(fake.server);
    h = await startHarness({ upstream: { kind: 'http', url: fake.url, headers: { authorization: 'Bearer top-secret-token' } } });
    h.send(initialize);
    await h.waitFor((l) => l.length === 1, 'initialize result');
    expect(JSON.parse(h.lines()[0]!).result.serverInfo.name).toBe('fake');
    h.send('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    h.send('{"jsonrpc":"2.0","id":"x","method":"tools/list","params":{"_meta":{"progressToken":1}}}\n');
    await h.waitFor((l) => l.length === 3, 'progress and result');
    expect(JSON.parse(h.lines()[1]!).method).toBe('notifications/progress');
    expect(JSON.parse(h.lines()[2]!)).toEqual({ jsonrpc: '2.0', id: 'x', result: { echo: 'tools/list' } });
    for (let i = 0; i < 200 && !fake.seen.some((s) => s.method === 'GET'); i++) await new Promise((r) => setTimeout(r, 10));
    await h.proxy.close();

    const posts = fake.seen.filter((s) => s.method === 'POST');
    expect(posts[0]!.headers.accept).toBe('application/json, text/event-stream');
    expect(posts[0]!.headers['content-type']).toBe('application/json');
    expect(posts[0]!.headers.authorization).toBe('Bearer top-secret-token');
    expect(posts[0]!.headers['mcp-session-id']).toBeUndefined();
    expect(posts[1]!.headers['mcp-session-id']).toBe('sess-42');
    expect(posts[1]!.headers['mcp-protocol-version']).toBe('2025-06-18');
    expect(posts[2]!.body).toBe('{"jsonrpc":"2.0","id":"x","method":"tools/list","params":{"_meta":{"progressToken":1}}}');
    expect(fake.seen.some((s) => s.method === 'GET' && s.headers.accept === 'text/event-stream')).toBe(true);
    expect(fake.seen.at(-1)).toMatchObject({ method: 'DELETE', headers: expect.objectContaining({ 'mcp-session-id': 'sess-42' }) });
    expect(JSON.stringify(h.sink.spans)).not.toContain('top-secret-token');
  });

  it('answers requests the server fails or leaves unanswered, and keeps going', async () => {
    const fake = await fakeServer();
    servers.push(fake.server);
    h = await startHarness({ upstream: { kind: 'http', url: fake.url } });
    h.send(initialize);
    h.send('{"jsonrpc":"2.0","id":1,"method":"broken"}\n');
    h.send('{"jsonrpc":"2.0","id":2,"method":"silent"}\n');
    await h.waitFor((l) => l.length === 3, 'three replies');
    const byId = Object.fromEntries(h.lines().map((l) => JSON.parse(l)).map((m) => [m.id, m]));
    expect(byId[1].error).toMatchObject({ code: -32000, message: expect.stringContaining('HTTP 500: boom') });
    expect(byId[2].error).toMatchObject({ code: -32000, message: expect.stringContaining('without a response') });
    expect(h.proxy.stats().pending).toBe(0);
  });

  it('ends the session failed when the server forgets it (404)', async () => {
    const fake = await fakeServer({ expireAfter: 1 });
    servers.push(fake.server);
    h = await startHarness({ upstream: { kind: 'http', url: fake.url } });
    h.send(initialize);
    await h.waitFor((l) => l.length === 1, 'initialize result');
    h.send('{"jsonrpc":"2.0","id":1,"method":"tools/list"}\n');
    expect(await h.proxy.done).toEqual({ status: 'failed', reason: 'upstream session expired (HTTP 404)', exitCode: 1 });
    expect(JSON.parse(h.lines()[1]!)).toMatchObject({ id: 1, error: { code: -32000 } });
  });

  it('answers with -32000 when the server cannot be reached', async () => {
    const fake = await fakeServer();
    const url = fake.url;
    await new Promise((r) => fake.server.close(r));
    h = await startHarness({ upstream: { kind: 'http', url } });
    h.send(initialize);
    await h.waitFor((l) => l.length === 1, 'an error reply');
    expect(JSON.parse(h.lines()[0]!)).toMatchObject({ id: 0, error: { code: -32000, message: expect.stringContaining('upstream unreachable') } });
  });
});

interface PollingServer {
  url: string;
  server: Server;
  seen: Seen[];
  /** performance.now() when the tools/call stream was ended, and when each resuming GET arrived. */
  closedAt: number[];
  resumedAt: number[];
  /** The event id of each tools/call reply stream's priming event. */
  primed: string[];
}

/**
 * Behaves like the conformance suite's `sse-retry` scenario: the tools/call reply stream carries
 * only a priming event (id and retry) and ends; a GET with Last-Event-ID brings the response.
 * `resumeWith` says what that GET gets: the response, another empty stream, or 405.
 */
async function pollingServer(resumeWith: 'response' | 'empty' | 405, retryMs = 80): Promise<PollingServer> {
  const seen: Seen[] = [];
  const closedAt: number[] = [];
  const resumedAt: number[] = [];
  const primed: string[] = [];
  let pending: unknown;
  let events = 0;
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    seen.push({ method: req.method!, headers: req.headers, body });
    if (req.method === 'DELETE') return void res.writeHead(200).end();
    if (req.method === 'GET') {
      if (req.headers['last-event-id'] === undefined) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        return void res.write(`id: ev-${++events}\nretry: ${retryMs}\ndata: \n\n`);
      }
      resumedAt.push(performance.now());
      if (resumeWith === 405) return void res.writeHead(405).end();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`id: ev-${++events}\nretry: ${retryMs}\ndata: \n\n`);
      if (resumeWith === 'empty') return void res.end();
      // Like the conformance server, the resumed stream stays open after the response.
      return void res.write(`event: message\nid: ev-${++events}\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: pending, result: { content: [{ type: 'text', text: 'resumed' }] } })}\n\n`);
    }
    const msg = JSON.parse(body);
    if (msg.id === undefined) return void res.writeHead(202).end();
    if (msg.method === 'initialize') {
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'poll-1' });
      return void res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'poll', version: '1' } } }));
    }
    pending = msg.id;
    primed.push(`ev-${++events}`);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`id: ${primed.at(-1)}\nretry: ${retryMs}\ndata: \n\n`);
    setTimeout(() => {
      closedAt.push(performance.now());
      res.end();
    }, 20);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, server, seen, closedAt, resumedAt, primed };
}

describe('HTTP upstream: SSE polling (reply stream closed early)', () => {
  it('resumes with GET and Last-Event-ID after the retry interval and delivers the response', async () => {
    const poll = await pollingServer('response');
    servers.push(poll.server);
    h = await startHarness({ upstream: { kind: 'http', url: poll.url } });
    h.send(initialize);
    await h.waitFor((l) => l.length === 1, 'initialize result');
    h.send('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    h.send('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"test_reconnection","arguments":{}}}\n');
    await h.waitFor((l) => l.length === 2, 'the tools/call result');
    expect(JSON.parse(h.lines()[1]!)).toEqual({ jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'resumed' }] } });

    const resume = poll.seen.find((s) => s.method === 'GET' && s.headers['last-event-id'] !== undefined)!;
    expect(resume.headers).toMatchObject({ 'last-event-id': poll.primed[0], 'mcp-session-id': 'poll-1', 'mcp-protocol-version': '2025-11-25', accept: 'text/event-stream' });
    expect(poll.resumedAt).toHaveLength(1);
    // The server's retry (80 ms) is respected: no earlier than the stream's end plus retry.
    expect(poll.resumedAt[0]! - poll.closedAt[0]!).toBeGreaterThanOrEqual(75);
    // The span closes with the real result, not an error.
    await h.proxy.close();
    const span = h.sink.spans.find((s) => s.name === 'tools/call test_reconnection')!;
    expect(span.status.status_code).not.toBe('ERROR');
  });

  it('gives up after the configured attempts with a -32000 that says why', async () => {
    const poll = await pollingServer('empty', 10);
    servers.push(poll.server);
    h = await startHarness({ upstream: { kind: 'http', url: poll.url, resume: { maxAttempts: 3 } } });
    h.send(initialize);
    h.send('{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"slow","arguments":{}}}\n');
    await h.waitFor((l) => l.length === 2, 'the error reply');
    const reply = JSON.parse(h.lines()[1]!);
    expect(reply).toMatchObject({ id: 8, error: { code: -32000 } });
    expect(reply.error.message).toMatch(/closed its reply stream before the response.*Last-Event-ID.*gave up resuming after 3 attempts/);
    expect(poll.resumedAt).toHaveLength(3);
    expect(h.proxy.stats().pending).toBe(0);
  });

  it('gives up at once when the server cannot resume (405), and honours the time window', async () => {
    const refusing = await pollingServer(405, 10);
    servers.push(refusing.server);
    h = await startHarness({ upstream: { kind: 'http', url: refusing.url } });
    h.send(initialize);
    h.send('{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"slow","arguments":{}}}\n');
    await h.waitFor((l) => l.length === 2, 'the error reply');
    expect(JSON.parse(h.lines()[1]!).error.message).toMatch(/refused to resume it \(HTTP 405\)/);
    expect(refusing.resumedAt).toHaveLength(1);
    await h.proxy.close();

    // A retry longer than the window: no reconnection at all, the request is answered right away.
    const slow = await pollingServer('response', 60_000);
    servers.push(slow.server);
    h = await startHarness({ upstream: { kind: 'http', url: slow.url, resume: { windowMs: 1000, maxDelayMs: 60_000 } } });
    h.send(initialize);
    h.send('{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"slow","arguments":{}}}\n');
    await h.waitFor((l) => l.length === 2, 'the error reply');
    expect(JSON.parse(h.lines()[1]!).error.message).toMatch(/gave up resuming/);
    expect(slow.resumedAt).toHaveLength(0);
  });
});
