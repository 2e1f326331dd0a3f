import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemoryEventStore } from '@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { readTrace } from '../../src/store/traceReader.js';
import { CLI, EVERYTHING, ROOT, exitOf, freePort, tempDir, waitForOutput } from './proxyHelpers.js';
import { until } from '../until.js';

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

/**
 * An SDK server that polls (MCP 2025-11-25): its `poll` tool closes its reply stream at once
 * (`closeSSEStream`), after a priming event with an id and `retry: 100`, and answers once the
 * client has resumed with Last-Event-ID (the event store replays anything it missed).
 */
async function pollingSdkServer(): Promise<{ url: string; server: Server; resumes: string[] }> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const resumes: string[] = [];
  const server = createServer(async (req, res) => {
    if (req.method === 'GET' && typeof req.headers['last-event-id'] === 'string') resumes.push(req.headers['last-event-id']);
    const sid = req.headers['mcp-session-id'];
    let transport = typeof sid === 'string' ? transports.get(sid) : undefined;
    if (!transport) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        eventStore: new InMemoryEventStore(),
        retryInterval: 100,
        onsessioninitialized: (id) => void transports.set(id, transport!),
      });
      const mcp = new McpServer({ name: 'polling', version: '1.0.0' });
      mcp.registerTool('poll', { description: 'answers after closing its stream' }, async (extra) => {
        extra.closeSSEStream?.();
        // Answer only once the client came back: the result can reach it on no other stream.
        await until(() => resumes.length > 0, 'the client to resume with Last-Event-ID');
        return { content: [{ type: 'text', text: 'after polling' }] };
      });
      await mcp.connect(transport);
    }
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, server, resumes };
}

describe('proxy --url in front of a server that closes reply streams early (SSE polling, built CLI)', () => {
  it('resumes the stream with Last-Event-ID and gives the stdio client the real result', async () => {
    const dir = await tempDir();
    const polling = await pollingSdkServer();
    const client = new Client({ name: 'poll-client', version: '1.0.0' });
    try {
      await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'proxy', '--traces-dir', dir.path, '--session-id', 'e2e-polling', '--url', polling.url], cwd: ROOT, stderr: 'pipe' }));
      const result = await client.callTool({ name: 'poll', arguments: {} });
      expect(result.content).toEqual([{ type: 'text', text: 'after polling' }]);
      expect(polling.resumes.length).toBeGreaterThanOrEqual(1);
      await client.close();
      const { spans } = await readTrace(dir.path, 'e2e-polling');
      const call = spans.find((s) => s.name === 'tools/call poll')!;
      expect(call.status.status_code).not.toBe('ERROR');
      expect(call.attributes['mcp.rpc.response_json']).toContain('after polling');
    } finally {
      await client.close().catch(() => undefined);
      polling.server.closeAllConnections();
      await new Promise((r) => polling.server.close(r));
      await dir.cleanup();
    }
  }, 30_000);
});
