import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { readTrace } from '../../src/store/traceReader.js';
import { CLI, EVERYTHING, ROOT, exitOf, freePort, tempDir, waitForOutput } from './proxyHelpers.js';

async function conversation(client: Client) {
  const tools = await client.listTools();
  const echo = await client.callTool({ name: 'echo', arguments: { message: 'over http' } });
  const progress: number[] = [];
  const longOp = await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 } }, CallToolResultSchema, {
    onprogress: (p) => progress.push(p.progress),
  });
  const badArgs = await client.callTool({ name: 'get-sum', arguments: { a: 'x' } }).catch((err: Error) => ({ thrown: err.message }));
  const resources = await client.listResources();
  const read = await client.readResource({ uri: resources.resources[0]!.uri });
  const prompt = await client.getPrompt({ name: 'simple-prompt' });
  const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'completable-prompt' }, argument: { name: 'department', value: 'S' } });
  // How many progress notifications the SDK client reports depends on timing alone (see proxyStdio.test.ts).
  return { tools, echo, longOp, badArgs, resources, read, prompt, completion };
}

describe('proxy --url in front of server-everything in Streamable HTTP mode (built CLI)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let server: ChildProcess;
  let url: string;
  beforeAll(async () => {
    dir = await tempDir();
    const port = await freePort();
    server = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], { cwd: ROOT, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(server, /listening on port/);
    url = `http://127.0.0.1:${port}/mcp`;
  });
  afterAll(async () => {
    server.kill('SIGKILL');
    await exitOf(server);
    await dir.cleanup();
  });

  it('gives a stdio client the same answers as the HTTP server gives directly, and records them', async () => {
    const direct = new Client({ name: 'direct', version: '1.0.0' });
    await direct.connect(new StreamableHTTPClientTransport(new URL(url)));
    const expected = await conversation(direct);
    await direct.close();

    const sessionId = 'e2e-http-everything';
    const proxied = new Client({ name: 'direct', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'proxy', '--traces-dir', dir.path, '--session-id', sessionId, '--url', url, '--header', 'Authorization: Bearer s3cret-value'],
      cwd: ROOT,
      stderr: 'pipe',
    });
    await proxied.connect(transport);
    const actual = await conversation(proxied);
    await proxied.close();
    expect(actual).toEqual(expected);

    const { spans } = await readTrace(dir.path, sessionId);
    expect(spans.find((s) => s.name === 'tools/call echo')!.attributes['mcp.rpc.response_json']).toContain('over http');
    expect(spans.find((s) => s.name === 'initialize')!.attributes['mcp.rpc.transport']).toBe('stdio');
    expect(spans.find((s) => s.name === 'tools/call trigger-long-running-operation')!.events?.filter((e) => e.name === 'notifications/progress')).toHaveLength(2);
    expect(JSON.stringify(spans)).not.toContain('s3cret-value');
  });
});
