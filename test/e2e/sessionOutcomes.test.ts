import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durationMs } from '../../src/core/time.js';
import { readTrace } from '../../src/store/traceReader.js';
import { ensureBuilt } from '../store/storeTestKit.js';
import { CLI, EVERYTHING, exitOf, ROOT, spawnProxy, tempDir } from './proxyHelpers.js';

const FILESYSTEM = join(ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');

interface Row {
  id: string;
  status: string;
  reason?: string;
  span_count: number;
  error_count: number;
}

/**
 * A hand-driven client through the built proxy to server-everything: it declares roots, probes
 * `server/discover` (a newer client asking an older server, answered -32601), makes one call,
 * receives the server's `roots/list` request and leaves without answering it.
 */
async function noisySession(tracesDir: string, sessionId: string): Promise<void> {
  const child = spawnProxy(['--traces-dir', tracesDir, '--session-id', sessionId, '--', process.execPath, EVERYTHING, 'stdio']);
  const lines = createInterface({ input: child.stdout! });
  const waiting: Array<{ test: (m: any) => boolean; resolve: (m: any) => void }> = [];
  const seen: any[] = [];
  lines.on('line', (line) => {
    const msg = JSON.parse(line);
    seen.push(msg);
    for (const w of [...waiting]) if (w.test(msg)) (waiting.splice(waiting.indexOf(w), 1), w.resolve(msg));
  });
  const next = (test: (m: any) => boolean, what: string) =>
    new Promise<any>((resolve, reject) => {
      const already = seen.find(test);
      if (already) return resolve(already);
      const timer = setTimeout(() => reject(new Error(`no ${what} within 15 s; saw ${JSON.stringify(seen).slice(0, 500)}`)), 15_000);
      waiting.push({ test, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  const send = (msg: unknown) => child.stdin!.write(`${JSON.stringify(msg)}\n`);
  try {
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: { roots: { listChanged: true } }, clientInfo: { name: 'never-answers-roots', version: '1.0.0' } } });
    await next((m) => m.id === 1, 'initialize result');
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'server/discover', params: {} });
    expect((await next((m) => m.id === 2, 'server/discover answer')).error.code).toBe(-32601);
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { message: 'hi' } } });
    expect((await next((m) => m.id === 3, 'echo result')).result).toBeDefined();
    await next((m) => m.method === 'roots/list', 'roots/list request from the server');
  } finally {
    child.stdin!.end(); // leave without answering roots/list
    expect(await exitOf(child)).toBe(0);
  }
}

/** A real SDK client through the proxy to server-filesystem, reading a file outside its root. */
async function toolErrorSession(tracesDir: string, sessionId: string, root: string): Promise<void> {
  const client = new Client({ name: 'fs-client', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'proxy', '--traces-dir', tracesDir, '--session-id', sessionId, '--', process.execPath, FILESYSTEM, root], cwd: ROOT, stderr: 'ignore' }));
  try {
    const denied = (await client.callTool({ name: 'read_text_file', arguments: { path: '/etc/hostname' } })) as CallToolResult;
    expect(denied.isError).toBe(true);
    expect(JSON.stringify(denied.content)).toMatch(/Access denied/);
  } finally {
    await client.close();
  }
}

/** A busy, healthy session: 310 echo calls through the proxy to server-everything. */
async function busySession(tracesDir: string, sessionId: string): Promise<void> {
  const client = new Client({ name: 'busy-client', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'proxy', '--traces-dir', tracesDir, '--session-id', sessionId, '--', process.execPath, EVERYTHING, 'stdio'], cwd: ROOT, stderr: 'ignore' }));
  try {
    for (let i = 0; i < 310; i++) await client.callTool({ name: 'echo', arguments: { message: `message number ${i} with a little text` } });
  } finally {
    await client.close();
  }
}

describe('session outcomes through the built proxy, read by the built inspector', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let root: { path: string; cleanup: () => Promise<void> };
  let inspector: Client;
  const call = async (name: string, args: Record<string, unknown>) => (await inspector.callTool({ name, arguments: args })) as CallToolResult;

  beforeAll(async () => {
    ensureBuilt();
    dir = await tempDir();
    root = await tempDir();
    await noisySession(dir.path, 'noisy-session');
    await toolErrorSession(dir.path, 'tool-error-session', root.path);
    await busySession(dir.path, 'busy-session');
    inspector = new Client({ name: 'asks-which-failed', version: '1.0.0' });
    await inspector.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'serve', '--traces-dir', dir.path, '--no-gateway'], cwd: ROOT, stderr: 'ignore' }));
  }, 180_000);
  afterAll(async () => {
    await inspector?.close();
    await dir?.cleanup();
    await root?.cleanup();
  });

  it('the trace keeps the protocol noise as ERROR spans (the OpenTelemetry view of a JSON-RPC error)', async () => {
    const { spans } = await readTrace(dir.path, 'noisy-session');
    const byMethod = (m: string) => spans.find((s) => s.attributes['mcp.method.name'] === m);
    expect(byMethod('server/discover')).toMatchObject({ status: { status_code: 'ERROR' }, attributes: { 'error.type': '-32601' } });
    expect(byMethod('roots/list')).toMatchObject({ status: { status_code: 'ERROR' }, attributes: { 'error.type': 'connection_closed' } });
  });

  it('one list_sessions call answers which sessions failed and why; noise is not an error', async () => {
    const result = await call('list_sessions', {});
    const rows = (result.structuredContent as { sessions: Row[] }).sessions;
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId['tool-error-session']).toMatchObject({ status: 'failed', error_count: 1 });
    expect(byId['tool-error-session']!.reason).toMatch(/^1 tool error: read_text_file Access denied/);
    expect(byId['noisy-session']).toMatchObject({ status: 'completed', error_count: 0 });
    expect(byId['noisy-session']!.reason).toBeUndefined();
    expect(byId['busy-session']).toMatchObject({ status: 'completed', error_count: 0 });
    const text = (result.content[0] as { text: string }).text;
    expect(text).toMatch(/tool-error-session \| failed \(1 tool error: read_text_file Access denied[^|]*\) \|.*\| \d+ spans, 1 error \|/);
    expect(text).toMatch(/noisy-session \| completed \|.*\| \d+ spans, 0 errors \|/);
  });

  it('has_errors filters to the failed sessions, or to the others', async () => {
    const failed = (await call('list_sessions', { has_errors: true })).structuredContent as { sessions: Row[] };
    expect(failed.sessions.map((r) => r.id)).toEqual(['tool-error-session']);
    const healthy = (await call('list_sessions', { has_errors: false })).structuredContent as { sessions: Row[] };
    expect(healthy.sessions.map((r) => r.id).sort()).toEqual(['busy-session', 'noisy-session']);
    const none = await call('list_sessions', { has_errors: true, engine: 'workflow' });
    expect(none.isError).toBe(true);
  });

  it('the summary of the noisy session counts no errors and explains the noise', async () => {
    const result = await call('get_trace', { session_id: 'noisy-session' });
    const { summary } = result.structuredContent as { summary: { error_count: number; errors: unknown[]; hints: string[] } };
    expect(summary.error_count).toBe(0);
    expect(summary.errors).toEqual([]);
    expect(summary.hints.join('\n')).toMatch(/2 spans recorded as ERROR are protocol noise/);
    const errors = await call('get_trace', { session_id: 'noisy-session', view: 'spans', status: 'error' });
    expect(errors.isError).toBe(true); // nothing matches: no real error
  });

  it('the debug_session prompt states the reason, counts in good English, and recommends the compact path', async () => {
    const prompt = await inspector.getPrompt({ name: 'debug_session', arguments: { session_id: 'tool-error-session' } });
    const text = (prompt.messages[0]!.content as { text: string }).text;
    expect(text).toMatch(/status failed, reason: 1 tool error: read_text_file Access denied[^;]*; \d+ spans, 1 error, started/);
    expect(text).toMatch(/summary, then filtered span rows, then single spans in full/);
    const noisy = await inspector.getPrompt({ name: 'debug_session', arguments: { session_id: 'noisy-session' } });
    expect((noisy.messages[0]!.content as { text: string }).text).toMatch(/status completed; \d+ spans, 0 errors/);
  });

  it('a page of lean span rows holds at least 50 proxied spans within 20 KB', async () => {
    const all = await readTrace(dir.path, 'busy-session');
    expect(all.spans.length).toBeGreaterThanOrEqual(304);
    const page = await call('get_trace', { session_id: 'busy-session', view: 'spans' });
    const rows = (page.structuredContent as { spans: Array<Record<string, unknown>> }).spans;
    const bytes = Buffer.byteLength((page.content[0] as { text: string }).text) + Buffer.byteLength(JSON.stringify(page.structuredContent));
    expect(bytes).toBeLessThanOrEqual(20_000);
    expect(rows.length).toBeGreaterThanOrEqual(50);
    const echo = rows.find((r) => r.name === 'tools/call echo')!;
    expect(echo.args).toMatch(/^\{"message":"message number \d+ with a little text"\}$/);
    expect(echo).not.toHaveProperty('attributes');
  });

  it('search_spans finds the slowest tool call with its arguments in one call', async () => {
    const result = await call('search_spans', { session_id: 'busy-session', method: 'tools/call', sort: 'duration', limit: 3 });
    const hits = (result.structuredContent as { results: Array<{ duration_ms: number; args?: string; name: string }> }).results;
    expect(hits).toHaveLength(3);
    expect(hits[0]!.duration_ms).toBeGreaterThanOrEqual(hits[1]!.duration_ms);
    expect(hits[1]!.duration_ms).toBeGreaterThanOrEqual(hits[2]!.duration_ms);
    expect(hits[0]!.args).toMatch(/"message":"message number/);
    const { spans } = await readTrace(dir.path, 'busy-session');
    const slowest = Math.max(...spans.filter((s) => s.attributes['mcp.method.name'] === 'tools/call').map((s) => durationMs(s.start_time, s.end_time)));
    expect(hits[0]!.duration_ms).toBeCloseTo(slowest, 2);
  });
});
