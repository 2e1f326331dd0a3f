import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ResourceUpdatedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../store/storeTestKit.js';
import { tempTracesDir, writeFixtureTrace, type FixtureTrace } from '../fixtures/traces/generateTrace.js';
import { CLI, EVERYTHING, ROOT } from './proxyHelpers.js';

/** Records one session of server-everything through the built proxy, including failing calls. */
async function recordThroughProxy(tracesDir: string, sessionId: string): Promise<void> {
  const client = new Client({ name: 'recorded-client', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'proxy', '--traces-dir', tracesDir, '--session-id', sessionId, '--', process.execPath, EVERYTHING, 'stdio'],
      cwd: ROOT,
      stderr: 'pipe',
    }),
  );
  await client.callTool({ name: 'echo', arguments: { message: 'hello inspector ✓' } });
  await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } });
  await client.callTool({ name: 'get-sum', arguments: { a: 'not a number' } }).catch(() => undefined);
  await client.callTool({ name: 'no-such-tool', arguments: {} }).catch(() => undefined);
  await client.close();
}

describe('mcpscope serve over stdio (built CLI)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let big: FixtureTrace;
  let client: Client;
  let transport: StdioClientTransport;
  let stderr = '';
  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;

  beforeAll(async () => {
    ensureBuilt();
    ({ dir, cleanup } = await tempTracesDir('serve-e2e-'));
    await recordThroughProxy(dir, 'everything-session-1');
    big = await writeFixtureTrace({ tracesDir: dir, sessionId: 'generated-50k', spans: 50_000, errorEvery: 1000 });
    transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'serve', '--traces-dir', dir, '--no-gateway'], cwd: ROOT, stderr: 'pipe' });
    transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(transport);
  }, 180_000);
  afterAll(async () => {
    await client?.close();
    await cleanup?.();
  });

  it('introduces itself with name, version and instructions', () => {
    expect(client.getServerVersion()).toMatchObject({ name: 'mcpscope', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(client.getInstructions()).toMatch(/list_sessions/);
    expect(client.getServerCapabilities()?.resources).toMatchObject({ subscribe: true, listChanged: true });
    expect(stderr).toContain('serving MCP on stdio');
  });

  it('investigates a session recorded by the proxy, including its failed calls', async () => {
    const list = await call('list_sessions', {});
    const ids = (list.structuredContent as { sessions: Array<{ id: string }> }).sessions.map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining(['everything-session-1', 'generated-50k']));

    const summary = await call('get_trace', { session_id: 'everything-session-1' });
    expect(summary.isError).toBeFalsy();
    const s = (summary.structuredContent as { summary: any }).summary;
    expect(s.tools.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-sum']));
    expect(s.error_count).toBeGreaterThanOrEqual(2);
    const errorNames = s.errors.map((e: { name: string }) => e.name);
    expect(errorNames).toEqual(expect.arrayContaining(['tools/call no-such-tool']));

    const failed = s.errors.find((e: { name: string }) => e.name === 'tools/call no-such-tool');
    const span = await call('get_span', { session_id: 'everything-session-1', span_id: failed.span_id });
    expect(span.isError).toBeFalsy();
    expect((span.content[0] as { text: string }).text).toMatch(/no-such-tool/);

    const hits = await call('search_spans', { query: 'hello inspector ✓' });
    const found = (hits.structuredContent as { results: Array<{ session_id: string; name: string }> }).results;
    expect(found.some((h) => h.session_id === 'everything-session-1' && h.name === 'tools/call echo')).toBe(true);
  });

  it('summarizes the generated 50,000-span trace within the budget', async () => {
    const result = await call('get_trace', { session_id: 'generated-50k' });
    expect(result.isError).toBeFalsy();
    const bytes = Buffer.byteLength((result.content[0] as { text: string }).text) + Buffer.byteLength(JSON.stringify(result.structuredContent));
    expect(bytes).toBeLessThanOrEqual(20_000);
    const s = (result.structuredContent as { summary: any }).summary;
    expect(s.span_count).toBe(50_000);
    expect(s.slowest[0].span_id).toBe(big.slowSpanId);
  });

  it('answers malformed input with tool errors and keeps serving', async () => {
    const bad = await call('get_trace', { session_id: 'everything-session-2' });
    expect(bad.isError).toBe(true);
    expect((bad.content[0] as { text: string }).text).toMatch(/Did you mean: everything-session-1/);
    const steer = await call('pause_workflow', { session_id: 'everything-session-1' });
    expect(steer.isError).toBe(true);
    expect((steer.content[0] as { text: string }).text).toMatch(/SESSION_NOT_LIVE/);
    await expect(client.ping()).resolves.toBeDefined();
  });

  it('notifies a subscriber while the proxy records the session it watches', async () => {
    const updated: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updated.push(n.params.uri));
    await client.subscribeResource({ uri: 'inspector://sessions/everything-session-2' });
    await recordThroughProxy(dir, 'everything-session-2');
    const deadline = Date.now() + 10_000;
    while (!updated.includes('inspector://sessions/everything-session-2') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(updated).toContain('inspector://sessions/everything-session-2');
    const read = await client.readResource({ uri: 'inspector://sessions/everything-session-2' });
    expect(JSON.parse((read.contents[0] as { text: string }).text).meta.id).toBe('everything-session-2');
  });

  it('offers the debug_session prompt with session id completion', async () => {
    const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'debug_session' }, argument: { name: 'session_id', value: 'everything-' } });
    expect(completion.completion.values).toEqual(expect.arrayContaining(['everything-session-1', 'everything-session-2']));
    const prompt = await client.getPrompt({ name: 'debug_session', arguments: { session_id: 'everything-session-1' } });
    expect((prompt.messages[0]!.content as { text: string }).text).toMatch(/get_trace/);
  });
});

describe('mcpscope serve process lifecycle', () => {
  it('exits 0 when stdin closes, after answering what it was asked', async () => {
    const { spawn } = await import('node:child_process');
    const { dir, cleanup } = await tempTracesDir('serve-exit-');
    try {
      const child = spawn(process.execPath, [CLI, 'serve', '--traces-dir', `${dir}/not-yet`, '--no-control', '--no-gateway'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      const lines = [
        { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pipe', version: '1' } } },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_sessions', arguments: {} } },
        { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get_trace', arguments: { session_id: 42 } } },
      ];
      child.stdin.end(`${lines.map((l) => JSON.stringify(l)).join('\n')}\nnot json at all\n`);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      expect(code).toBe(0);
      const replies = out.trim().split('\n').map((l) => JSON.parse(l));
      expect(replies.find((r) => r.id === 2).result.structuredContent).toEqual({ sessions: [] });
      expect(replies.find((r) => r.id === 3).result.isError).toBe(true);
    } finally {
      await cleanup();
    }
  });

  it('rejects unknown flags with a usage error (exit 2)', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [CLI, 'serve', '--bogus'], { cwd: ROOT, input: '', timeout: 15_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.toString()).toMatch(/serve:.*bogus/);
  });
});
