import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterEach, describe, expect, it } from 'vitest';
import { openSse } from '../http/sseClient.js';
import { APP_SESSION_ID, runOtelApp } from './otelApp.js';
import { startOtlpReceiver } from './otlpReceiver.js';
import { readTrace } from '../../src/store/traceReader.js';
import { toTraceSpan } from '../../src/otel/otelSpan.js';
import { createRedactor } from '../../src/instrumentation/redaction.js';
import { until } from '../until.js';

// Runs the built CLI (`npx tsc -p .` first).
const ROOT = resolve(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');

let child: ChildProcess | undefined;
let dir: string | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Starts the built `serve --http` on a free port over `tracesDir` (as `child`); resolves with its URL and API token from stderr. */
async function startServe(tracesDir: string, extraArgs: string[] = []): Promise<{ url: string; token: string }> {
  const started = spawn(process.execPath, [CLI, 'serve', '--http', '--port', '0', '--traces-dir', tracesDir, ...extraArgs], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, MCPSCOPE_TOKEN: '', MCPSCOPE_PORT: '', MCPSCOPE_HOST: '' } });
  child = started;
  let stderr = '';
  const m = await new Promise<RegExpExecArray>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no gateway URL in 15 s: ${stderr}`)), 15_000);
    started.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      const found = /gateway at (http:\/\/127\.0\.0\.1:\d+)\/#code=\S+\s+mcpscope: API token: ([A-Za-z0-9_-]+)/.exec(stderr);
      if (found) {
        clearTimeout(timer);
        res(found);
      }
    });
    started.once('exit', (code) => rej(new Error(`exited ${code}: ${stderr}`)));
  });
  return { url: m[1]!, token: m[2]! };
}

describe('mcpscope serve --http takes OTLP traces (built CLI)', () => {
  it('stores an OpenTelemetry app\'s spans sent with the official exporter; the session is live on /events and in get_trace over /mcp', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcpscope-serve-otlp-'));
    const { url, token } = await startServe(dir);
    const sse = await openSse(`${url}/_inspector/events`);
    try {
      await runOtelApp(new OTLPTraceExporter({ url: `${url}/v1/traces`, headers: { Authorization: `Bearer ${token}` } }));
      await sse.until(() => sse.events.some((e) => e.data.includes('"SessionStarted"') && e.data.includes(APP_SESSION_ID)));
    } finally {
      sse.close();
    }
    const client = new Client({ name: 'otlp-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    try {
      let nodes: Array<{ name: string; depth: number }> = [];
      for (let i = 0; i < 200 && nodes.length < 3; i++) {
        const result = (await client.callTool({ name: 'get_trace', arguments: { session_id: APP_SESSION_ID, view: 'tree' } })) as { isError?: boolean; structuredContent?: { nodes: typeof nodes } };
        nodes = result.isError ? [] : (result.structuredContent?.nodes ?? []);
        if (nodes.length < 3) await new Promise((r) => setTimeout(r, 25));
      }
      expect(nodes.map((n) => [n.name, n.depth]).sort()).toEqual([['agent run', 0], ['tools/call read_file', 1], ['tools/call write_file', 1]]);
    } finally {
      await client.close();
    }
  }, 60_000);
});

describe('mcpscope serve --http --otlp-endpoint (built CLI)', () => {
  it('sends the spans it takes at /v1/traces on to a collector, under the app\'s service name, equal to what it stored', async () => {
    const receiver = await startOtlpReceiver();
    try {
      dir = await mkdtemp(join(tmpdir(), 'mcpscope-serve-otlp-relay-'));
      const { url, token } = await startServe(dir, ['--otlp-endpoint', receiver.url]);
      await runOtelApp(new OTLPTraceExporter({ url: `${url}/v1/traces`, headers: { Authorization: `Bearer ${token}` } }));
      await until(() => receiver.spans().length >= 3, 'the relayed spans', { timeoutMs: 20_000 });
      const dirPath = dir;
      const stored = await until(async () => {
        const { spans } = await readTrace(dirPath, APP_SESSION_ID);
        return spans.length >= 3 ? spans : undefined;
      }, 'the stored spans');
      const plain = createRedactor({ enabled: false });
      const byId = (a: { span_id: string }, b: { span_id: string }) => a.span_id.localeCompare(b.span_id);
      expect(receiver.spans().map((d) => toTraceSpan(d, plain)).sort(byId)).toEqual([...stored].sort(byId));
      expect(new Set(receiver.spans().map((d) => d.resource['service.name']))).toEqual(new Set(['node-agent']));
    } finally {
      if (child && child.exitCode === null) child.kill('SIGTERM');
      await receiver.close();
    }
  }, 60_000);
});

describe('one place for many machines: a proxy exporting to another mcpscope\'s gateway (built CLI)', () => {
  it('the central gateway stores the proxy\'s session under the same id, span for span', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcpscope-central-'));
    const central = join(dir, 'central');
    const local = join(dir, 'local');
    const { url, token } = await startServe(central);
    const everything = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
    const client = new Client({ name: 'laptop', version: '1.0.0' });
    await client.connect(new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'proxy', '--traces-dir', local, '--session-id', 'laptop-session-1', '--otlp-endpoint', `${url}/v1/traces`, '--', process.execPath, everything, 'stdio'],
      cwd: ROOT,
      stderr: 'pipe',
      env: { PATH: process.env.PATH ?? '', OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${token}` },
    }));
    await client.callTool({ name: 'echo', arguments: { message: 'from the laptop' } });
    await client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } });
    await client.close();
    const mine = await until(async () => {
      const { spans } = await readTrace(local, 'laptop-session-1');
      return spans.some((s) => s.name === 'tools/call get-sum') ? spans : undefined;
    }, 'the local trace');
    const byId = (a: { span_id: string }, b: { span_id: string }) => a.span_id.localeCompare(b.span_id);
    const theirs = await until(async () => {
      const { spans } = await readTrace(central, 'laptop-session-1');
      return spans.length >= mine.length ? spans : undefined;
    }, 'the central copy', { timeoutMs: 20_000 });
    expect([...theirs].sort(byId)).toEqual([...mine].sort(byId));
  }, 60_000);
});
