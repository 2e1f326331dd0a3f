import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../store/storeTestKit.js';
import { CLI, EVERYTHING, exitOf, ROOT, tempDir, waitForOutput } from './proxyHelpers.js';

const run = promisify(execFile);

interface Meta {
  id: string;
  status: string;
  started_at: string;
  span_count: number;
  error_count: number;
}

/** Polls `read` (bounded: 200 tries, 100 ms apart) until `done` holds; returns the last value. */
async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 200; i++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

describe('live numbers are live (proxy process + serve gateway)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let serve: ChildProcess;
  let url: string;
  let client: Client | undefined;
  const ID = 'live-counts-session';

  const fromGateway = async (): Promise<Meta | undefined> => {
    const res = await request(`${url}/_inspector/sessions`);
    const body = (await res.body.json()) as { sessions: Meta[] };
    return body.sessions.find((s) => s.id === ID);
  };
  const fromCli = async (): Promise<Meta | undefined> => {
    const { stdout } = await run(process.execPath, [CLI, 'sessions', '--json', '--traces-dir', dir.path], { timeout: 20_000 });
    return (JSON.parse(stdout) as Meta[]).find((s) => s.id === ID);
  };

  beforeAll(async () => {
    ensureBuilt();
    dir = await tempDir();
    serve = spawn(process.execPath, [CLI, 'serve', '--http', '--port', '0', '--traces-dir', dir.path], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MCPSCOPE_TOKEN: '', MCPSCOPE_PORT: '', MCPSCOPE_HOST: '' } });
    url = /http:\/\/127\.0\.0\.1:\d+/.exec(await waitForOutput(serve, /gateway at http:\/\/127\.0\.0\.1:\d+/))![0];
  }, 120_000);
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    serve?.kill('SIGTERM');
    if (serve) await exitOf(serve);
    await dir?.cleanup();
  });

  it('counts grow while the session runs (gateway and CLI), and started_at never moves', async () => {
    client = new Client({ name: 'live-client', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'proxy', '--traces-dir', dir.path, '--session-id', ID, '--', process.execPath, EVERYTHING, 'stdio'], cwd: ROOT, stderr: 'ignore' }));
    // serve has discovered the live session before any call is made
    const first = (await pollUntil(fromGateway, (m) => m?.status === 'running', 'the live session on the gateway'))!;
    const startedAt = first.started_at;
    const before = first.span_count;

    for (let i = 0; i < 5; i++) await client.callTool({ name: 'echo', arguments: { message: `call ${i}` } });
    const grown = (await pollUntil(fromGateway, (m) => (m?.span_count ?? 0) >= before + 5, 'gateway counts to grow'))!;
    expect(grown.status).toBe('running');
    expect(grown.started_at).toBe(startedAt);

    // A real error while running shows in the live error count too.
    await client.callTool({ name: 'no-such-tool', arguments: {} }).catch(() => undefined);
    const failedOnce = (await pollUntil(fromGateway, (m) => (m?.error_count ?? 0) >= 1, 'the live error count'))!;
    expect(failedOnce.status).toBe('running');

    // The CLI reads the meta on disk: it follows too, while the session still runs.
    const onDisk = (await pollUntil(fromCli, (m) => (m?.span_count ?? 0) >= grown.span_count && m?.error_count === 1, 'the CLI counts'))!;
    expect(onDisk.status).toBe('running');
    expect(onDisk.started_at).toBe(startedAt);

    await client.close();
    client = undefined;
    const ended = (await pollUntil(fromGateway, (m) => m !== undefined && m.status !== 'running', 'the session to finish'))!;
    expect(ended.started_at).toBe(startedAt);
    // Every view tells the same end: the real error made the session failed, from its first report on.
    expect(ended).toMatchObject({ status: 'failed', error_count: 1 });
    const meta = JSON.parse(await readFile(join(dir.path, `${ID}.meta.json`), 'utf8')) as Meta;
    expect(meta).toMatchObject({ started_at: startedAt, status: 'failed', error_count: 1 });
    expect((await fromCli())!.started_at).toBe(startedAt);
  }, 60_000);
});
