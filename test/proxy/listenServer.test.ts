import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startListenServer, type ListenServerHandle, type ListenServerOptions } from '../../src/proxy/listenServer.js';
import { createSseParser } from '../../src/proxy/sseParser.js';
import { probeWithOAuthClient } from './oauthCapableClient.js';
import { RAW_SERVER, TOY_SERVER } from './proxyHarness.js';

const EVERYTHING = resolve(__dirname, '../../node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const VERSION_SERVER = resolve(__dirname, '../fixtures/proxy/versionServer.mjs');

const TOKEN = 'listen-unit-token-0123456789';
let servers: ListenServerHandle[] = [];
let logs = '';

async function listen(overrides: Partial<ListenServerOptions> = {}): Promise<ListenServerHandle> {
  const stderr = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs += chunk.toString();
      cb();
    },
  });
  const server = await startListenServer({
    listen: 'http://127.0.0.1:0/mcp',
    upstream: { kind: 'stdio', command: process.execPath, args: [TOY_SERVER] },
    token: TOKEN,
    stderr,
    graceMs: 500,
    ...overrides,
  });
  servers.push(server);
  return server;
}

const clients: Client[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  for (const s of servers) await s.close();
  servers = [];
  logs = '';
});

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** PIDs of this process's children whose command line mentions `script` (Linux /proc). */
function childrenRunning(script: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
      if (ppid === process.pid && state !== 'Z' && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(script)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

async function connect(url: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'listen-unit', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

/** One raw HTTP exchange with the listen server; SSE bodies are read in the background into `messages`. */
interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  messages: Array<Record<string, any>>;
  ended: Promise<void>;
}

async function exchange(url: string, method: 'POST' | 'GET', headers: Record<string, string>, body?: unknown): Promise<Exchange> {
  const res = await request(url, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, accept: 'application/json, text/event-stream', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const messages: Array<Record<string, any>> = [];
  const type = String(res.headers['content-type'] ?? '');
  let ended: Promise<void>;
  if (type.startsWith('text/event-stream')) {
    const parser = createSseParser((e) => {
      if (e.data.trim() !== '') messages.push(JSON.parse(e.data));
    });
    ended = (async () => {
      for await (const chunk of res.body) parser.push(chunk.toString());
    })().catch(() => undefined);
  } else {
    const text = await res.body.text();
    if (text.trim() !== '') messages.push(JSON.parse(text));
    ended = Promise.resolve();
  }
  return { status: res.statusCode, headers: res.headers, messages, ended };
}

const init = (protocolVersion: string, capabilities: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion, capabilities, clientInfo: { name: 'raw', version: '1' } },
});

/** Initializes a session without ever opening the GET stream; returns the headers later requests need. */
async function rawSession(url: string, protocolVersion = '2025-11-25', capabilities: Record<string, unknown> = {}): Promise<Record<string, string>> {
  const opened = await exchange(url, 'POST', {}, init(protocolVersion, capabilities));
  expect(opened.status).toBe(200);
  await until('initialize result', () => opened.messages.length > 0);
  const headers = { 'mcp-session-id': String(opened.headers['mcp-session-id']), 'mcp-protocol-version': opened.messages[0]!.result.protocolVersion as string };
  expect((await exchange(url, 'POST', headers, { jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
  return headers;
}

describe('startListenServer: clients without the token', () => {
  it('an OAuth-capable SDK client shows our message and starts no OAuth discovery', async () => {
    const server = await listen();
    for (const headers of [{}, { authorization: 'Bearer wrong' }]) {
      const probe = await probeWithOAuthClient(server.url, headers);
      expect(probe.error).toMatch(/pass the token printed at start as Authorization: Bearer/);
      expect(probe.redirected).toBe(false);
      expect(probe.requested.filter((u) => u.includes('/.well-known/'))).toEqual([]);
      expect(probe.requested).toEqual([server.url]);
    }
    expect(server.sessions()).toHaveLength(0);
  });
});

describe('startListenServer: idle sessions and the session cap', () => {
  it('closes a session idle past the timeout and ends its upstream process; a session with an open stream stays', async () => {
    const server = await listen({ idleTimeoutMs: 300 });
    const gone = await connect(server.url);
    await gone.client.listTools();
    const kept = await connect(server.url);
    await kept.client.listTools();
    await until('two upstream processes', () => childrenRunning(TOY_SERVER).length === 2);
    const staleId = gone.transport.sessionId!;
    // Client.close() drops the GET stream but sends no DELETE: the session is left behind, as by a crashed client.
    await gone.client.close();

    await until('the idle session closed', () => server.sessions().length === 1);
    await until('its upstream process gone', () => childrenRunning(TOY_SERVER).length === 1);
    expect(logs).toMatch(/idle for 0.3 s, closing it and its upstream/);
    const stale = await exchange(server.url, 'POST', { 'mcp-session-id': staleId, 'mcp-protocol-version': '2025-11-25' }, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(stale.status).toBe(404);
    // The other client kept its GET stream open all along: not idle, still served.
    expect((await kept.client.callTool({ name: 'echo', arguments: { text: 'still here' } })).content).toEqual([{ type: 'text', text: 'still here' }]);
  });

  it('answers initialize past the cap with 503 and a clear error, and accepts again once a session ends', async () => {
    const server = await listen({ maxSessions: 1 });
    const first = await connect(server.url);
    const refused = await exchange(server.url, 'POST', {}, init('2025-11-25'));
    expect(refused.status).toBe(503);
    expect(refused.messages[0]).toMatchObject({ error: { code: -32000, message: 'too many sessions (max 1): end one with DELETE, or wait until idle ones are closed' } });
    const viaSdk = new Client({ name: 'second', version: '1.0.0' });
    await expect(viaSdk.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }))).rejects.toThrow(/too many sessions \(max 1\)/);
    expect(childrenRunning(TOY_SERVER)).toHaveLength(1);

    await first.transport.terminateSession();
    await until('the session ended', () => server.sessions().length === 0);
    const again = await connect(server.url);
    expect((await again.client.listTools()).tools.length).toBeGreaterThan(0);
  });
});

describe('startListenServer: messages related to a request go on its POST stream', () => {
  it('sampling requests and progress from server-everything reach a client that never opened the GET stream', async () => {
    const server = await listen({ upstream: { kind: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] } });
    const headers = await rawSession(server.url, '2025-11-25', { sampling: {} });

    const call = await exchange(server.url, 'POST', headers, { jsonrpc: '2.0', id: 'sample-1', method: 'tools/call', params: { name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } } });
    expect(call.headers['content-type']).toMatch(/text\/event-stream/);
    await until('the sampling request on the tools/call stream', () => call.messages.some((m) => m.method === 'sampling/createMessage'));
    const ask = call.messages.find((m) => m.method === 'sampling/createMessage')!;
    const answer = await exchange(server.url, 'POST', headers, { jsonrpc: '2.0', id: ask.id, result: { role: 'assistant', content: { type: 'text', text: 'sampled!' }, model: 'test-model' } });
    expect(answer.status).toBe(202);
    await until('the tool result', () => call.messages.some((m) => m.id === 'sample-1'));
    expect(JSON.stringify(call.messages.find((m) => m.id === 'sample-1'))).toContain('sampled!');
    await call.ended;

    const progress = await exchange(server.url, 'POST', headers, {
      jsonrpc: '2.0',
      id: 'long-1',
      method: 'tools/call',
      params: { name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 }, _meta: { progressToken: 'p-1' } },
    });
    await progress.ended;
    const kinds = progress.messages.map((m) => m.method ?? `result ${m.id}`);
    expect(kinds).toEqual(['notifications/progress', 'notifications/progress', 'result long-1']);
    expect(progress.messages[0]!.params.progressToken).toBe('p-1');
  });

  it('a log notification sent while one request is in flight precedes its result on that stream', async () => {
    const server = await listen({ upstream: { kind: 'stdio', command: process.execPath, args: [RAW_SERVER] } });
    const opened = await exchange(server.url, 'POST', {}, init('2025-06-18'));
    await until('initialize reply', () => opened.messages.length > 0);
    const headers = { 'mcp-session-id': String(opened.headers['mcp-session-id']), 'mcp-protocol-version': '2025-06-18' };
    const notify = await exchange(server.url, 'POST', headers, { jsonrpc: '2.0', id: 5, method: 'notify' });
    await notify.ended;
    expect(notify.messages.map((m) => m.method ?? `result ${m.id}`)).toEqual(['notifications/message', 'result 5']);
  });
});

describe('startListenServer: protocol versions', () => {
  it('accepts on later requests the version the upstream accepted, even one the SDK does not know; refuses others', async () => {
    const server = await listen({ upstream: { kind: 'stdio', command: process.execPath, args: [VERSION_SERVER] } });
    const headers = await rawSession(server.url, '2099-01-01');
    expect(headers['mcp-protocol-version']).toBe('2099-01-01');
    const listed = await exchange(server.url, 'POST', headers, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(listed.status).toBe(200);
    await listed.ended;
    expect(listed.messages).toEqual([{ jsonrpc: '2.0', id: 1, result: { tools: [] } }]);
    const other = await exchange(server.url, 'POST', { ...headers, 'mcp-protocol-version': '2098-01-01' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(other.status).toBe(400);
    expect(JSON.stringify(other.messages)).toMatch(/Unsupported protocol version: 2098-01-01/);
    // A known version the client did not negotiate is still the SDK's to judge (accepted).
    const known = await exchange(server.url, 'POST', { ...headers, 'mcp-protocol-version': '2025-06-18' }, { jsonrpc: '2.0', id: 3, method: 'tools/list' });
    expect(known.status).toBe(200);
    await known.ended;
  });
});
