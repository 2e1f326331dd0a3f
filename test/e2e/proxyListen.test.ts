import { request } from 'node:http';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { readTrace } from '../../src/store/traceReader.js';
import { TOY_SERVER, exitOf, spawnProxy, tempDir, waitForOutput } from './proxyHelpers.js';

const TOKEN = 'listen-test-token-0123456789';

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
});
