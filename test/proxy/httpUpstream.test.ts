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
