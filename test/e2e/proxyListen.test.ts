import { request } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { readTrace } from '../../src/store/traceReader.js';
import { EVERYTHING, TOY_SERVER, exitOf, spawnProxy, tempDir, waitForOutput } from './proxyHelpers.js';

const TOKEN = 'listen-test-token-0123456789';

/** Live (non-zombie) children of `parent` whose command line mentions `script` (Linux /proc). */
function childrenOf(parent: number, script: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === parent && state !== 'Z' && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(script)) pids.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return pids;
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function rawPost(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}');
  });
}

describe('proxy --listen (built CLI)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await dir.cleanup();
  });

  it('serves each HTTP client session through its own upstream and recorded session, behind Host and token checks', async () => {
    const child = spawnProxy(['--traces-dir', dir.path, '--listen', 'http://127.0.0.1:0/mcp', '--token', TOKEN, '--', process.execPath, TOY_SERVER]);
    try {
      const line = await waitForOutput(child, /listening on http:\/\/127\.0\.0\.1:\d+\/mcp/);
      const url = line.slice('listening on '.length);

      expect(await rawPost(url, {})).toBe(403);
      expect(await rawPost(url, { authorization: 'Bearer wrong' })).toBe(403);
      expect(await rawPost(url, { authorization: `Bearer ${TOKEN}`, host: 'evil.example:80' })).toBe(403);
      expect(await rawPost(url, { 'x-inspector-token': TOKEN, origin: 'http://evil.example' })).toBe(403);

      const connect = async () => {
        const client = new Client({ name: 'listen-client', version: '1.0.0' });
        await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
        return client;
      };
      const a = await connect();
      const b = await connect();
      expect((await a.listTools()).tools.map((t) => t.name)).toContain('echo');
      expect((await a.callTool({ name: 'echo', arguments: { text: 'from a' } })).content).toEqual([{ type: 'text', text: 'from a' }]);
      expect((await b.callTool({ name: 'echo', arguments: { text: 'from b' } })).content).toEqual([{ type: 'text', text: 'from b' }]);
      const progress: number[] = [];
      const done = await b.callTool({ name: 'progress', arguments: { steps: 3 } }, CallToolResultSchema, { onprogress: (p) => progress.push(p.progress) });
      expect(done.content).toEqual([{ type: 'text', text: 'done 3' }]);
      expect(progress.length).toBeGreaterThan(0);
      expect((await a.callTool({ name: 'fail', arguments: {} })).isError).toBe(true);
      await a.close();
      await b.close();

      child.kill('SIGTERM');
      expect(await exitOf(child)).toBe(0);
      const ids = (await readdir(dir.path)).filter((f) => f.endsWith('.meta.json')).map((f) => f.replace('.meta.json', ''));
      expect(ids).toHaveLength(2);
      const echoes: string[] = [];
      for (const id of ids) {
        const { spans } = await readTrace(dir.path, id);
        expect(spans.every((s) => s.attributes['mcp.rpc.transport'] === 'streamable-http')).toBe(true);
        for (const s of spans.filter((x) => x.name === 'tools/call echo')) echoes.push(String(s.attributes['mcp.rpc.request_json']));
      }
      expect(echoes.some((e) => e.includes('from a'))).toBe(true);
      expect(echoes.some((e) => e.includes('from b'))).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('reaps a session its client left without DELETE after --idle-timeout, ending its server-everything process; --max-sessions caps', async () => {
    const child = spawnProxy(['--traces-dir', dir.path, '--listen', 'http://127.0.0.1:0/mcp', '--token', TOKEN, '--idle-timeout', '0.5', '--max-sessions', '1', '--', process.execPath, EVERYTHING, 'stdio']);
    try {
      const line = await waitForOutput(child, /listening on http:\/\/127\.0\.0\.1:\d+\/mcp/);
      const url = line.slice('listening on '.length);
      const connect = async () => {
        const client = new Client({ name: 'left-behind', version: '1.0.0' });
        await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
        return client;
      };
      const reaped = waitForOutput(child, /session \S+: idle for 0.5 s, closing it and its upstream/, 15_000);
      // The session leaves the table (and stops counting against the cap) once its upstream has ended.
      const ended = waitForOutput(child, /session \S+ completed/, 15_000);
      const client = await connect();
      expect((await client.callTool({ name: 'echo', arguments: { message: 'hi' } })).content).toEqual([{ type: 'text', text: 'Echo: hi' }]);
      expect(childrenOf(child.pid!, EVERYTHING)).toHaveLength(1);
      // The cap holds while the first session lives.
      expect(await rawPost(url, { authorization: `Bearer ${TOKEN}` })).toBe(503);
      await client.close(); // no DELETE: the session would otherwise live (and its server run) until the proxy exits
      await reaped;
      await until('the server-everything process gone', () => childrenOf(child.pid!, EVERYTHING).length === 0);
      await ended;
      // A new client is accepted again.
      const next = await connect();
      expect((await next.listTools()).tools.length).toBeGreaterThan(0);
      await next.close();
      child.kill('SIGTERM');
      expect(await exitOf(child)).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
