import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterEach, describe, expect, it } from 'vitest';
import { openSse } from '../http/sseClient.js';
import { APP_SESSION_ID, runOtelApp } from './otelApp.js';

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

describe('mcpscope serve --http takes OTLP traces (built CLI)', () => {
  it('stores an OpenTelemetry app\'s spans sent with the official exporter; the session is live on /events and in get_trace over /mcp', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcpscope-serve-otlp-'));
    child = spawn(process.execPath, [CLI, 'serve', '--http', '--port', '0', '--traces-dir', dir], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, MCPSCOPE_TOKEN: '', MCPSCOPE_PORT: '', MCPSCOPE_HOST: '' } });
    let stderr = '';
    const [, url, token] = await new Promise<RegExpExecArray>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no gateway URL in 15 s: ${stderr}`)), 15_000);
      child!.stderr!.on('data', (c: Buffer) => {
        stderr += c.toString();
        const m = /gateway at (http:\/\/127\.0\.0\.1:\d+)\/#code=\S+\s+mcpscope: API token: ([A-Za-z0-9_-]+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          res(m);
        }
      });
      child!.once('exit', (code) => rej(new Error(`exited ${code}: ${stderr}`)));
    });
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
