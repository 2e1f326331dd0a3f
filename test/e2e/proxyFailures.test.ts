import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readTrace } from '../../src/store/traceReader.js';
import { CLI, RAW_SERVER, ROOT, TOY_SERVER, exitOf, spawnProxy, tempDir, waitForOutput } from './proxyHelpers.js';

const init = '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n';

describe('proxy failure handling (built CLI)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await dir.cleanup();
  });
  const meta = async (id: string) => JSON.parse(await readFile(join(dir.path, `${id}.meta.json`), 'utf8'));

  it('answers the pending call when the upstream dies mid-call, exits with its code, keeps the trace', async () => {
    const sessionId = 'e2e-upstream-dies';
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'proxy', '--traces-dir', dir.path, '--session-id', sessionId, '--', process.execPath, TOY_SERVER],
      cwd: ROOT,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const client = new Client({ name: 't', version: '1' });
    await client.connect(transport);
    const echoed = await client.callTool({ name: 'echo', arguments: { text: 'before' } });
    expect(echoed.content).toEqual([{ type: 'text', text: 'before' }]);
    const failed = await client.callTool({ name: 'fail', arguments: {} });
    expect(failed.isError).toBe(true);
    const hanging = client.callTool({ name: 'hang', arguments: {} }).catch((err: Error) => err);
    const dying = client.callTool({ name: 'exit', arguments: { code: 4 } }).catch((err: Error) => err);
    const [hangErr, dieErr] = await Promise.all([hanging, dying]);
    expect(String(hangErr)).toMatch(/upstream closed: upstream exited with code 4/);
    expect(String(dieErr)).toMatch(/upstream closed: upstream exited with code 4/);
    const exited = await new Promise<number | null>((resolve) => {
      const p = (transport as unknown as { _process?: import('node:child_process').ChildProcess })._process;
      if (!p || p.exitCode !== null) resolve(p?.exitCode ?? null);
      else p.once('exit', (code) => resolve(code));
    });
    expect(exited).toBe(4);
    await client.close();
    expect(stderr).toContain('toy server: exiting with 4');

    const { spans } = await readTrace(dir.path, sessionId);
    expect(spans.find((s) => s.name === 'tools/call echo')!.status.status_code).toBe('OK');
    expect(spans.find((s) => s.name === 'tools/call fail')!.status.status_code).toBe('ERROR');
    expect(spans.find((s) => s.name === 'tools/call hang')!.status.status_code).toBe('ERROR');
    expect(spans.find((s) => s.name === 'tools/call exit')!.attributes['mcp.rpc.response_json']).toContain('-32000');
    expect(await meta(sessionId)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^upstream exited with code 4(; |$)/) });
  });

  it('ends completed with exit 0 when the client closes stdin', async () => {
    const sessionId = 'e2e-client-leaves';
    const child = spawnProxy(['--traces-dir', dir.path, '--session-id', sessionId, '--', process.execPath, TOY_SERVER]);
    child.stdin!.write(init);
    await waitForOutput(child, /"id":0/);
    child.stdin!.end();
    expect(await exitOf(child)).toBe(0);
    expect(await meta(sessionId)).toMatchObject({ status: 'completed', reason: 'client closed the connection' });
  });

  it('answers garbage per JSON-RPC 2.0, forwards an id above 2^53 byte-exact, and keeps going', async () => {
    const sessionId = 'e2e-garbage';
    const child = spawnProxy(['--traces-dir', dir.path, '--session-id', sessionId, '--', process.execPath, RAW_SERVER]);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const big = '{"jsonrpc":"2.0","id":9007199254740993,"method":"tools/call","params":{"name":"x"}}';
    child.stdin!.write(`not json\n{"jsonrpc":"2.0"}\n${big}\n`);
    const deadline = Date.now() + 5000;
    while (out.split('\n').filter(Boolean).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const lines = out.split('\n').filter(Boolean);
    expect(JSON.parse(lines[0]!)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    expect(JSON.parse(lines[1]!)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } });
    expect(lines[2]).toBe(`{"jsonrpc":"2.0","id":9007199254740993,"result":{"received":${JSON.stringify(big)}}}`);
    child.stdin!.end();
    expect(await exitOf(child)).toBe(0);
    const { spans } = await readTrace(dir.path, sessionId);
    expect(spans.filter((s) => s.name === 'jsonrpc.invalid')).toHaveLength(2);
    const call = spans.find((s) => s.name === 'tools/call x')!;
    expect(call.attributes['mcp.rpc.request_json']).toBe(big);
    expect(call.status.status_code).toBe('OK');
  });

  it('fails with exit 127 for a command that does not exist, and exit 2 on bad usage', async () => {
    const child = spawnProxy(['--traces-dir', dir.path, '--', '/nonexistent/server']);
    const err = waitForOutput(child, /cannot start upstream/);
    expect(await exitOf(child)).toBe(127);
    await err;
    const usage = spawnProxy(['--bogus']);
    expect(await exitOf(usage)).toBe(2);
    const neither = spawnProxy([]);
    const msg = waitForOutput(neither, /missing the server command/);
    expect(await exitOf(neither)).toBe(2);
    await msg;
  });

  it('names a fresh session on stderr when no id is given, and stops on SIGTERM', async () => {
    const child = spawnProxy(['--traces-dir', dir.path, '--', process.execPath, TOY_SERVER]);
    const line = await waitForOutput(child, /session [0-9]{8}-[0-9]{6}-[0-9a-f]{8}/);
    child.stdin!.write(init);
    await waitForOutput(child, /"id":0/);
    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);
    expect(await meta(line.slice('session '.length))).toMatchObject({ status: 'completed' });
  });
});
