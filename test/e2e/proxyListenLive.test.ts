import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { spawnSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../sessions/helpers/liveChild.js';
import { heldBy, untilHeld } from './heldRequests.js';
import { CLI, EVERYTHING, ROOT, exitOf, spawnProxy, tempDir, waitForOutput } from './proxyHelpers.js';

const TOKEN = 'listen-live-token-0123456789';

type ToolOut = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, unknown> };
const text = (r: unknown) => (r as ToolOut).content[0]!.text;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: { path: string; cleanup: () => Promise<void> };
let serve: Client;
const clients: Client[] = [];

const call = async (client: Client, name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as ToolOut;

/** A steering call on serve, retried (bounded) while serve has not discovered the session yet. */
async function steer(name: string, args: Record<string, unknown>): Promise<ToolOut> {
  let last: ToolOut | undefined;
  for (let i = 0; i < 50; i++) {
    last = await call(serve, name, args);
    if (!last.isError || !/not live|no session|not found|no breakpoint|nothing/i.test(text(last))) return last;
    await sleep(100);
  }
  return last!;
}

async function sessionRow(id: string, until: (row: Record<string, unknown> | undefined) => boolean): Promise<Record<string, unknown> | undefined> {
  let row: Record<string, unknown> | undefined;
  for (let i = 0; i < 50; i++) {
    const listed = await call(serve, 'list_sessions', {});
    row = (listed.structuredContent?.sessions as Record<string, unknown>[] | undefined)?.find((s) => s.id === id);
    if (until(row)) return row;
    await sleep(100);
  }
  return row;
}

async function metaOf(id: string, until: (meta: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  let meta: Record<string, unknown> = {};
  for (let i = 0; i < 50; i++) {
    meta = JSON.parse(await readFile(join(dir.path, `${id}.meta.json`), 'utf8').catch(() => '{}')) as Record<string, unknown>;
    if (until(meta)) return meta;
    await sleep(100);
  }
  return meta;
}

beforeAll(async () => {
  ensureBuilt(['sessions', 'commands', 'proxy', 'tools', 'store']);
  dir = await tempDir();
  serve = new Client({ name: 'control', version: '1.0.0' });
  await serve.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'serve', '--no-gateway', '--traces-dir', dir.path], stderr: 'ignore', cwd: ROOT }));
  clients.push(serve);
}, 120_000);
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await dir.cleanup();
});

describe('proxy --listen sessions are live and steerable (built CLI)', () => {
  it('--break-on holds a call of an HTTP client session until serve approves; reject answers with an error', async () => {
    const child = spawnProxy(['--traces-dir', dir.path, '--listen', 'http://127.0.0.1:0/mcp', '--token', TOKEN, '--break-on', 'tools/call:echo', '--', process.execPath, EVERYTHING, 'stdio']);
    try {
      const line = await waitForOutput(child, /listening on http:\/\/127\.0\.0\.1:\d+\/mcp/);
      const url = line.slice('listening on '.length);
      const started = waitForOutput(child, /session \S+ started/);
      const client = new Client({ name: 'listen-live', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
      clients.push(client);
      const id = (await started).split(' ')[1]!;

      expect(text(await call(client, 'get-sum', { a: 2, b: 3 }))).toMatch(/5/);
      const waiting = call(client, 'echo', { message: 'may I' });
      expect(await untilHeld(dir.path, id, 1)).toMatchObject([{ method: 'tools/call', target: 'echo', awaiting_approval: true }]);
      const row = await sessionRow(id, (r) => r?.waiting_on === 'approve');
      expect(row).toMatchObject({ waiting_on: 'approve' });
      // The status change reached the session's index entry through its own trace writer.
      expect(await metaOf(id, (m) => m.waiting_on === 'approve')).toMatchObject({ waiting_on: 'approve' });
      const approved = await steer('send_signal', { session_id: id, signal: 'approve' });
      expect(approved.isError).toBeFalsy();
      expect(text(await waiting)).toMatch(/may I/);

      const second = call(client, 'echo', { message: 'and this?' });
      const outcome = second.then(() => undefined, (err: unknown) => err);
      await untilHeld(dir.path, id, 1);
      const rejected = await steer('send_signal', { session_id: id, signal: 'reject', payload: { reason: 'not on my watch' } });
      expect(rejected.isError).toBeFalsy();
      expect(String(await outcome)).toMatch(/-32010.*not on my watch/);

      // A second client is a second, separately steerable session.
      const startedB = waitForOutput(child, /session \S+ started/);
      const b = new Client({ name: 'listen-live-b', version: '1.0.0' });
      await b.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { 'x-inspector-token': TOKEN } } }));
      clients.push(b);
      const idB = (await startedB).split(' ')[1]!;
      expect(idB).not.toBe(id);
      const paused = await steer('pause_workflow', { session_id: idB });
      expect(paused.structuredContent).toMatchObject({ status: 'paused' });
      const heldB = call(b, 'get-sum', { a: 1, b: 1 });
      await untilHeld(dir.path, idB, 1);
      expect(text(await call(client, 'get-sum', { a: 4, b: 4 }))).toMatch(/8/); // session A is not paused
      expect(await heldBy(dir.path, idB)).toHaveLength(1); // and B still holds its call
      const resumedB = await call(serve, 'resume_workflow', { session_id: idB });
      expect(resumedB.structuredContent).toMatchObject({ message: expect.stringMatching(/released 1 held request/) });
      expect(text(await heldB)).toMatch(/2/);

      await client.close();
      await b.close();
      child.kill('SIGTERM');
      expect(await exitOf(child)).toBe(0);
      // Both sessions end completed and leave no longer live: serve says so.
      expect(await sessionRow(id, (r) => r?.status === 'completed')).toMatchObject({ status: 'completed' });
      expect(await sessionRow(idB, (r) => r?.status === 'completed')).toMatchObject({ status: 'completed' });
      expect(await metaOf(id, (m) => m.status === 'completed')).toMatchObject({ status: 'completed' });
      const leftovers = (await readdir(join(dir.path, 'live')).catch(() => [] as string[])).filter((f) => f.includes(id) || f.includes(idB));
      expect(leftovers).toEqual([]);
      const late = await call(serve, 'send_signal', { session_id: id, signal: 'approve' });
      expect(late.isError).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it('rejects a malformed --break-on pattern with --listen before listening (exit 2)', () => {
    const r = spawnSync(process.execPath, [CLI, 'proxy', '--traces-dir', dir.path, '--listen', 'http://127.0.0.1:0/mcp', '--break-on', 'tools/call:', '--', process.execPath, EVERYTHING], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/invalid breakpoint "tools\/call:"/);
    expect(r.stderr).not.toMatch(/listening on/);
  });
});
