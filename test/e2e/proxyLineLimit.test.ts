import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RAW_SERVER, exitOf, spawnProxy, tempDir, waitForOutput } from './proxyHelpers.js';

describe('proxy --max-line-bytes (built CLI)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await dir.cleanup();
  });

  it('answers a line over the configured limit for its id, then goes on', async () => {
    const child = spawnProxy(['--traces-dir', dir.path, '--max-line-bytes', '4096', '--', process.execPath, RAW_SERVER]);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stdin!.write(`{"method":"tools/call","params":{"name":"x","arguments":{"s":"${'a'.repeat(10_000)}"}},"jsonrpc":"2.0","id":"long-1"}\n`);
    child.stdin!.write('{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    await waitForOutput(child, /"id":2,"result"/);
    const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ id: 'long-1', error: { code: -32600, message: 'Request too large' } });
    expect(lines[0].error.data).toContain('limit of 4096 bytes');
    child.stdin!.end();
    expect(await exitOf(child)).toBe(0);
  });

  it('refuses a limit out of range, with or without --listen (which it applies to as well)', async () => {
    for (const args of [['--max-line-bytes', '12'], ['--max-line-bytes', '1e9'], ['--max-line-bytes', '999999999999'], ['--max-line-bytes', '12', '--listen', 'http://127.0.0.1:0/mcp']]) {
      const child = spawnProxy([...args, '--', process.execPath, RAW_SERVER]);
      const message = waitForOutput(child, /--max-line-bytes/);
      expect(await exitOf(child)).toBe(2);
      await message;
    }
  });
});
