import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSseParser } from '../../src/proxy/sseParser.js';
import { CLI, ROOT, TOY_SERVER, exitOf, tempDir, waitForOutput } from './proxyHelpers.js';
import { pollUntil } from './processTable.js';

const TOKEN = 'listen-limits-token-0123456789';
const FLOOD = join(ROOT, 'test/fixtures/proxy/floodServer.mjs');
const MiB = 1024 * 1024;
const LINE = 256 * 1024;
const INIT = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}';

/** Resident memory of `pid` in bytes, from /proc. */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** Sends `head` (request line and fields, no blank line) and `body` on a raw connection; resolves with what came back once the server closes. */
function raw(port: number, head: string, body = ''): Promise<{ status: number; text: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer; got ${received.slice(0, 300)}`));
    }, 15_000);
    socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
    // The server may close before it has read all of a refused body.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const split = received.indexOf('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(received)?.[1] ?? 0), text: received.slice(0, split), body: received.slice(split + 4) });
    });
    socket.write(`${head}\r\nConnection: close\r\n\r\n`);
    if (body) socket.write(body);
  });
}

/**
 * The proxy's highest RSS until the flood server says it stalled (or finished), and over one more
 * second of samples, as memory may still grow while the last writes drain.
 */
async function peakRssUntilStalled(child: ChildProcess, stderr: () => string): Promise<number> {
  let peak = 0;
  await pollUntil(() => {
    peak = Math.max(peak, rss(child.pid!));
    return /flood: (stalled|done)/.test(stderr());
  }, `the flood to stall; stderr ${stderr().slice(-500)}`, 60_000);
  for (let i = 0; i < 20; i++) {
    peak = Math.max(peak, rss(child.pid!));
    await new Promise((r) => setTimeout(r, 50));
  }
  return peak;
}

/** One request to the proxy's /mcp endpoint, authorised, in the given MCP session; resolves at its response head. */
function mcpRequest(url: string, method: string, body: string | undefined, session?: string): Promise<IncomingMessage> {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(session ? { 'mcp-session-id': session } : {}) } }, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

async function readAll(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const c of res) text += (c as Buffer).toString();
  return text;
}

const children: ChildProcess[] = [];
function start(args: string[]): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, 'proxy', ...args], { stdio: ['pipe', 'pipe', 'pipe'], cwd: ROOT });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return { child, stderr: () => err };
}

async function listening(child: ChildProcess): Promise<{ url: string; port: number }> {
  const line = await waitForOutput(child, /listening on http:\/\/127\.0\.0\.1:\d+\/mcp/);
  const url = line.slice('listening on '.length);
  return { url, port: Number(new URL(url).port) };
}

describe('proxy --listen limits (built CLI)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      c.kill('SIGTERM');
      if ((await exitOf(c, 10_000).catch(() => 'hung')) === 'hung') c.kill('SIGKILL');
    }
  });
  afterAll(async () => {
    await dir.cleanup();
  });

  it('answers 400 to a repeated Host, Authorization, X-Inspector-Token, Origin or Content-Type, as the gateway does', async () => {
    const { child } = start(['--traces-dir', dir.path, '--listen', 'http://127.0.0.1:0/mcp', '--token', TOKEN, '--', process.execPath, TOY_SERVER]);
    const { port } = await listening(child);
    const host = `Host: 127.0.0.1:${port}`;
    const post = (fields: string[]) =>
      raw(port, [`POST /mcp HTTP/1.1`, ...fields, 'Accept: application/json, text/event-stream', `Content-Length: ${INIT.length}`].join('\r\n'), INIT);
    const auth = `Authorization: Bearer ${TOKEN}`;
    const json = 'Content-Type: application/json';
    // The control: one of each is served.
    expect((await post([host, auth, json])).status).toBe(200);
    const twoHosts = await post([host, 'Host: evil.example', auth, json]);
    expect(twoHosts.status).toBe(400);
    expect(JSON.parse(twoHosts.body)).toEqual({ jsonrpc: '2.0', error: { code: -32600, message: 'bad request: header host given more than once' }, id: null });
    expect(twoHosts.text.toLowerCase()).toContain('connection: close');
    expect((await post([host, host, auth, json])).status).toBe(400);
    expect((await post(['Host: evil.example', host, auth, json])).status).toBe(400);
    // Two credentials, one of them right: ambiguous, refused before the token is looked at.
    const twoAuth = await post([host, auth, 'Authorization: Bearer wrong-token-wrong-token', json]);
    expect(twoAuth.status).toBe(400);
    expect(twoAuth.body).toContain('header authorization given more than once');
    expect((await post([host, `X-Inspector-Token: ${TOKEN}`, `X-Inspector-Token: ${TOKEN}`, json])).status).toBe(400);
    expect((await post([host, auth, `Origin: http://127.0.0.1:${port}`, 'Origin: http://evil.example', json])).status).toBe(400);
    expect((await post([host, auth, json, 'Content-Type: text/plain'])).status).toBe(400);
    // Still serving.
    expect((await post([host, auth, json])).status).toBe(200);
  }, 60_000);

  it('refuses a body over --max-line-bytes with 413 and a JSON-RPC error naming the limit, declared or chunked, and keeps serving', async () => {
    const { child } = start(['--traces-dir', dir.path, '--listen', 'http://127.0.0.1:0/mcp', '--token', TOKEN, '--max-line-bytes', '4096', '--', process.execPath, TOY_SERVER]);
    const { port } = await listening(child);
    const head = [`POST /mcp HTTP/1.1`, `Host: 127.0.0.1:${port}`, `Authorization: Bearer ${TOKEN}`, 'Content-Type: application/json', 'Accept: application/json, text/event-stream'];
    const big = `{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"${'x'.repeat(5000)}","version":"1"}}}`;
    const expected = { jsonrpc: '2.0', error: { code: -32600, message: "Request too large: a body may have at most 4095 bytes (--max-line-bytes 4096, a line's newline included)" }, id: null };

    const declared = await raw(port, [...head, `Content-Length: ${big.length}`].join('\r\n'), big);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toEqual(expected);

    const chunked = await raw(port, [...head, 'Transfer-Encoding: chunked'].join('\r\n'), `${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toEqual(expected);

    // One byte over (the line's newline counted) is refused; exactly the limit passes and works.
    const over = INIT.replace('"name":"t"', `"name":"${'y'.repeat(4097 - INIT.length)}"`);
    expect(over.length).toBe(4096);
    expect((await raw(port, [...head, `Content-Length: ${over.length}`].join('\r\n'), over)).status).toBe(413);
    const fits = over.replace('"name":"y', '"name":"');
    expect(fits.length).toBe(4095);
    const ok = await raw(port, [...head, `Content-Length: ${fits.length}`].join('\r\n'), fits);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('"protocolVersion"');
  }, 60_000);

  it('holds a flood to a client that does not read its SSE stream under the stdio bound, then delivers every byte', async () => {
    const { child, stderr } = start(['--traces-dir', dir.path, '--listen', 'http://127.0.0.1:0/mcp', '--token', TOKEN, '--', process.execPath, FLOOD]);
    const { url } = await listening(child);
    const post = (body: string, session?: string) => mcpRequest(url, 'POST', body, session);
    const init = await post(INIT);
    const session = init.headers['mcp-session-id'] as string;
    expect(await readAll(init)).toContain('"serverInfo"');
    const initialized = await post('{"jsonrpc":"2.0","method":"notifications/initialized"}', session);
    await readAll(initialized);
    expect(initialized.statusCode).toBe(202);
    await pollUntil(() => stderr().includes('flood server: ready'), 'the flood server');
    const idle = rss(child.pid!);

    const total = 64 * MiB;
    const flood = await post(`{"jsonrpc":"2.0","id":2,"method":"flood","params":{"bytes":${total},"lineBytes":${LINE}}}`, session);
    flood.pause();
    expect(flood.statusCode).toBe(200);
    // The flood stalls once the proxy stops reading it; without the bound it would run to the end.
    const peak = await peakRssUntilStalled(child, stderr);
    expect(stderr()).not.toContain('flood: done');
    expect(stderr()).toContain('the client reads its stream slower than the upstream writes');
    // The README's bound for --listen: 64 MiB plus twice the longest message in flight (the stdio
    // proxy's 32 MiB, plus room for the garbage of parsing and re-serialising each message, which
    // the stdio proxy does not do). Unbounded, this flood took about +166 MiB.
    expect(peak - idle).toBeLessThan(64 * MiB + 2 * LINE);

    const hash = createHash('sha256');
    let lines = 0;
    let bytes = 0;
    let result: { lines: number; bytes: number; sha256: string } | undefined;
    const parser = createSseParser((event) => {
      const message = JSON.parse(event.data) as { id?: number; result?: typeof result };
      if (message.id === 2) result = message.result;
      else {
        const line = `${event.data}\n`;
        hash.update(line);
        bytes += Buffer.byteLength(line);
        lines++;
      }
    });
    flood.setEncoding('utf8');
    for await (const text of flood) parser.push(text as string);
    expect(result).toBeDefined();
    expect({ lines, bytes, sha256: hash.digest('hex') }).toEqual(result);
  }, 180_000);

  it('holds a flood of messages related to no request while the client does not read its GET stream', async () => {
    const { child, stderr } = start(['--no-record', '--listen', 'http://127.0.0.1:0/mcp', '--token', TOKEN, '--', process.execPath, FLOOD]);
    const { url } = await listening(child);
    const send = (method: string, body: string | undefined, session?: string) => mcpRequest(url, method, body, session);
    const init = await send('POST', INIT);
    const session = init.headers['mcp-session-id'] as string;
    await readAll(init);
    await readAll(await send('POST', '{"jsonrpc":"2.0","method":"notifications/initialized"}', session));
    const get = await send('GET', undefined, session);
    get.pause();
    expect(get.statusCode).toBe(200);
    await pollUntil(() => stderr().includes('flood server: ready'), 'the flood server');
    const idle = rss(child.pid!);
    const total = 64 * MiB;
    const answered = await readAll(await send('POST', `{"jsonrpc":"2.0","id":2,"method":"flood","params":{"bytes":${total},"lineBytes":${LINE},"answerFirst":true}}`, session));
    expect(answered).toContain('"id":2');
    const peak = await peakRssUntilStalled(child, stderr);
    expect(stderr()).not.toContain('flood: done');
    expect(peak - idle).toBeLessThan(64 * MiB + 2 * LINE);
    // Reading again lets the rest through, every line.
    let received = 0;
    const parser = createSseParser((event) => {
      if (event.data.includes('notifications/message')) received += Buffer.byteLength(event.data) + 1;
    });
    get.setEncoding('utf8');
    get.on('data', (text: string) => parser.push(text));
    get.resume();
    await pollUntil(() => received >= total, `the rest of the flood (${received} bytes so far)`, 120_000);
    expect(stderr()).toContain('flood: done');
    get.destroy();
  }, 180_000);
});
