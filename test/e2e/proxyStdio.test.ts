import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { readTrace } from '../../src/store/traceReader.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI, EVERYTHING, ROOT, tempDir } from './proxyHelpers.js';

/** Runs the same conversation against a client; returns everything it saw. */
async function conversation(client: Client) {
  const progress: number[] = [];
  const tools = await client.listTools();
  const echo = await client.callTool({ name: 'echo', arguments: { message: 'hello ✓' } });
  const sum = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } });
  const longOp = await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, CallToolResultSchema, {
    onprogress: (p) => progress.push(p.progress),
  });
  const badArgs = await client.callTool({ name: 'get-sum', arguments: { a: 'not a number' } }).catch((err: Error) => ({ thrown: err.message }));
  const unknownTool = await client.callTool({ name: 'no-such-tool', arguments: {} }).catch((err: Error) => ({ thrown: err.message }));
  const resources = await client.listResources();
  const first = resources.resources[0]!;
  const read = await client.readResource({ uri: first.uri });
  const prompts = await client.listPrompts();
  const prompt = await client.getPrompt({ name: 'simple-prompt' });
  const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'completable-prompt' }, argument: { name: 'department', value: 'E' } });
  return { tools, echo, sum, longOp, progress, badArgs, unknownTool, resources, read, prompts, prompt, completion };
}

describe('proxy over stdio in front of server-everything (built CLI)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await dir.cleanup();
  });

  it('is indistinguishable from the server and records every call', async () => {
    const direct = new Client({ name: 'direct', version: '1.0.0' });
    await direct.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], cwd: ROOT, stderr: 'pipe' }));
    const expected = await conversation(direct);
    await direct.close();

    const sessionId = 'e2e-stdio-everything';
    const proxied = new Client({ name: 'direct', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'proxy', '--traces-dir', dir.path, '--session-id', sessionId, '--', process.execPath, EVERYTHING, 'stdio'],
      cwd: ROOT,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    await proxied.connect(transport);
    expect(proxied.getServerVersion()).toEqual(expect.objectContaining({ name: 'mcp-servers/everything' }));
    const actual = await conversation(proxied);
    await proxied.close();

    // The SDK client drops a progress notification that lands in the same read as its result
    // (handlers run a microtask later), so how many it reports depends on timing alone.
    const { progress: gotProgress, ...rest } = actual;
    const { progress: _directProgress, ...expectedRest } = expected;
    expect(rest).toEqual(expectedRest);
    expect([1, 2, 3].slice(0, gotProgress.length)).toEqual(gotProgress);
    expect(stderr).toContain('Starting default (STDIO) server');

    const { spans } = await readTrace(dir.path, sessionId);
    const byName = (name: string) => spans.filter((s) => s.name === name);
    expect(byName('initialize')).toHaveLength(1);
    expect(byName('tools/list')).toHaveLength(1);
    const echo = byName('tools/call echo')[0]!;
    expect(echo.status.status_code).toBe('OK');
    expect(echo.attributes['mcp.rpc.request_json']).toContain('"hello ✓"');
    expect(echo.attributes['mcp.rpc.response_json']).toContain('Echo: hello ✓');
    expect(echo.attributes['gen_ai.tool.name']).toBe('echo');
    expect(echo.attributes['session.id']).toBe(sessionId);
    const longOp = byName('tools/call trigger-long-running-operation')[0]!;
    expect(longOp.status.status_code).toBe('OK');
    expect(longOp.events?.filter((e) => e.name === 'progress' || e.attributes?.['mcp.progress'] !== undefined)).toHaveLength(3);
    expect(byName('tools/call get-sum').some((s) => s.status.status_code === 'ERROR')).toBe(true);
    expect(spans.some((s) => s.attributes['mcp.method.name'] === 'resources/read')).toBe(true);
    expect(spans.some((s) => s.attributes['mcp.method.name'] === 'prompts/get')).toBe(true);
    expect(spans.some((s) => s.attributes['mcp.method.name'] === 'completion/complete')).toBe(true);
    const meta = JSON.parse(await readFile(join(dir.path, `${sessionId}.meta.json`), 'utf8'));
    // The conversation includes a get-sum call with bad arguments: a real error, so the session reads failed.
    expect(meta).toMatchObject({ id: sessionId, engine: 'proxy', status: 'failed', reason: expect.stringMatching(/get-sum/) });
    expect(meta.title).toContain('server-everything');
  });
});
