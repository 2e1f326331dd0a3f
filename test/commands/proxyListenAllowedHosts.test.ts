import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOY_SERVER, exitOf, spawnProxy, tempDir, waitForOutput } from '../e2e/proxyHelpers.js';

const TOKEN = 'listen-allowed-token-0123456789';
const INIT = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}';

/** POSTs an initialize to `url` with `headers` (Host included) and resolves with the status. */
function initialize(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKEN}`, ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end(INIT);
  });
}

describe('proxy --listen behind a reverse proxy (built CLI)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await dir.cleanup();
  });

  async function listen(extra: string[]) {
    const child = spawnProxy(['--traces-dir', dir.path, '--listen', 'http://127.0.0.1:0/mcp', '--token', TOKEN, ...extra, '--', process.execPath, TOY_SERVER]);
    const line = await waitForOutput(child, /listening on http:\/\/127\.0\.0\.1:\d+\/mcp/);
    return { child, url: line.slice('listening on '.length) };
  }

  it('refuses Host inspector.example.com by default and accepts it with --allowed-host', async () => {
    const plain = await listen([]);
    try {
      expect(await initialize(plain.url, { host: 'inspector.example.com' })).toBe(403);
    } finally {
      plain.child.kill('SIGTERM');
      await exitOf(plain.child);
    }
    const allowed = await listen(['--allowed-host', 'inspector.example.com', '--allowed-origin', 'https://inspector.example.com']);
    try {
      expect(await initialize(allowed.url, { host: 'inspector.example.com' })).toBe(200);
      expect(await initialize(allowed.url, { host: 'inspector.example.com', origin: 'https://inspector.example.com' })).toBe(200);
      expect(await initialize(allowed.url, { host: 'inspector.example.com', origin: 'https://evil.example.com' })).toBe(403);
      expect(await initialize(allowed.url, { host: 'evil.example.com' })).toBe(403);
    } finally {
      allowed.child.kill('SIGTERM');
      expect(await exitOf(allowed.child)).toBe(0);
    }
  }, 60_000);
});
