import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTrace } from '../../src/store/traceReader.js';
import { ensureBuilt } from '../sessions/helpers/liveChild.js';
import { heldBy as heldIn, untilHeld as untilHeldIn } from './heldRequests.js';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/src/cli.js');
const EVERYTHING = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

let dir: string;
let serve: Client;
const clients: Client[] = [];

async function connect(args: string[]): Promise<{ client: Client; transport: StdioClientTransport }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, ...args], stderr: 'ignore', cwd: ROOT });
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}
const proxied = (id: string, extra: string[] = []) => connect(['proxy', '--traces-dir', dir, '--session-id', id, ...extra, '--', process.execPath, EVERYTHING, 'stdio']);

type ToolOut = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, unknown> };
const call = async (client: Client, name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as ToolOut;
const text = (r: unknown) => (r as ToolOut).content[0]!.text;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const untilHeld = (sessionId: string, n: number) => untilHeldIn(dir, sessionId, n);
const heldBy = (sessionId: string) => heldIn(dir, sessionId);

/** Calls a steering tool on serve, retrying (bounded) while serve has not discovered the session yet. */
async function steer(name: string, args: Record<string, unknown>): Promise<ToolOut> {
  let last: ToolOut | undefined;
  for (let i = 0; i < 50; i++) {
    last = await call(serve, name, args);
    if (!last.isError || !/not live|no session|not found/i.test(text(last))) return last;
    await sleep(100);
  }
  return last!;
}

beforeAll(async () => {
  ensureBuilt(['sessions', 'commands', 'proxy', 'tools', 'store']);
  dir = await mkdtemp(join(tmpdir(), 'insp-live-e2e-'));
  serve = (await connect(['serve', '--traces-dir', dir])).client;
}, 120_000);
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('live control across processes (proxy + serve)', () => {
  it('pause holds the next call until resume; step releases exactly one; cancel answers with an error', async () => {
    const { client } = await proxied('e2e-pause-1');
    expect(text(await call(client, 'echo', { message: 'first' }))).toMatch(/first/);
    const paused = await steer('pause_workflow', { session_id: 'e2e-pause-1', reason: 'look' });
    expect(paused.isError).toBeFalsy();
    expect(paused.structuredContent).toMatchObject({ status: 'paused' });

    const held = call(client, 'echo', { message: 'second' });
    expect(await untilHeld('e2e-pause-1', 1)).toMatchObject([{ method: 'tools/call', target: 'echo', awaiting_approval: false }]);
    const resumed = await call(serve, 'resume_workflow', { session_id: 'e2e-pause-1' });
    expect(resumed.isError).toBeFalsy();
    expect(resumed.structuredContent).toMatchObject({ message: expect.stringMatching(/released 1 held request/) });
    expect(text(await held)).toMatch(/second/);

    await call(serve, 'pause_workflow', { session_id: 'e2e-pause-1' });
    const a = call(client, 'echo', { message: 'alpha' });
    await untilHeld('e2e-pause-1', 1);
    const b = call(client, 'echo', { message: 'beta' });
    const bOutcome = b.then(() => undefined, (err: unknown) => err);
    await untilHeld('e2e-pause-1', 2);
    const stepped = await call(serve, 'send_signal', { session_id: 'e2e-pause-1', signal: 'step' });
    expect(stepped.structuredContent).toMatchObject({ status: 'paused', message: expect.stringMatching(/released 1/) });
    expect(text(await a)).toMatch(/alpha/);
    // beta still waits: the gate says so, and the cancel below answers it (a released beta would have echoed).
    expect(await heldBy('e2e-pause-1')).toHaveLength(1);

    const cancelled = await call(serve, 'cancel_workflow', { session_id: 'e2e-pause-1', reason: 'enough' });
    expect(cancelled.isError).toBeFalsy();
    expect(String(await bOutcome)).toMatch(/cancel/i);

    // The trace has every call, the cancelled one as an error.
    let spans: Awaited<ReturnType<typeof readTrace>>['spans'] = [];
    for (let i = 0; i < 50; i++) {
      spans = (await readTrace(dir, 'e2e-pause-1')).spans;
      if (spans.filter((s) => s.name === 'tools/call echo').length >= 4) break;
      await sleep(100);
    }
    const echoes = spans.filter((s) => s.name === 'tools/call echo');
    expect(echoes.length).toBe(4);
    expect(echoes.filter((s) => s.status.status_code === 'ERROR')).toHaveLength(1);
    const late = await call(serve, 'send_signal', { session_id: 'e2e-pause-1', signal: 'resume' });
    expect(late.isError).toBe(true);
    expect(text(late)).toMatch(/cancelled|not live/i);
  });

  it('--break-on tools/call:echo: approve lets the call through, reject returns an error', async () => {
    const { client } = await proxied('e2e-break-1', ['--break-on', 'tools/call:echo']);
    expect(text(await call(client, 'get-sum', { a: 2, b: 3 }))).toMatch(/5/);
    const waiting = call(client, 'echo', { message: 'may I' });
    expect(await untilHeld('e2e-break-1', 1)).toMatchObject([{ method: 'tools/call', target: 'echo', awaiting_approval: true }]);
    const approved = await steer('send_signal', { session_id: 'e2e-break-1', signal: 'approve' });
    expect(approved.isError).toBeFalsy();
    expect(text(await waiting)).toMatch(/may I/);

    const second = call(client, 'echo', { message: 'and this?' });
    const secondOutcome = second.then(() => undefined, (err: unknown) => err);
    await untilHeld('e2e-break-1', 1);
    const rejected = await call(serve, 'send_signal', { session_id: 'e2e-break-1', signal: 'reject', payload: { reason: 'not on my watch' } });
    expect(rejected.isError).toBeFalsy();
    expect(String(await secondOutcome)).toMatch(/-32010.*not on my watch/);
    const nothing = await call(serve, 'send_signal', { session_id: 'e2e-break-1', signal: 'approve' });
    expect(nothing.isError).toBe(true);
    expect(text(nothing)).toMatch(/breakpoint|not expected|nothing/i);
    const bogus = await call(serve, 'send_signal', { session_id: 'e2e-break-1', signal: 'launch_missiles' });
    expect(bogus.isError).toBe(true);
    expect(text(bogus)).toMatch(/unknown signal/i);
  });

  it('a SIGKILLed proxy is reported failed (abandoned) by serve and by `sessions`; its trace stays readable', async () => {
    const { client, transport } = await proxied('e2e-kill-1');
    expect(text(await call(client, 'echo', { message: 'before death' }))).toMatch(/before death/);
    await steer('pause_workflow', { session_id: 'e2e-kill-1' }); // serve has discovered it
    await call(serve, 'resume_workflow', { session_id: 'e2e-kill-1' });
    process.kill(transport.pid!, 'SIGKILL');
    let row: Record<string, unknown> | undefined;
    for (let i = 0; i < 60 && row?.status !== 'failed'; i++) {
      await sleep(100);
      const listed = await call(serve, 'list_sessions', {});
      row = (listed.structuredContent?.sessions as Record<string, unknown>[] | undefined)?.find((s) => s.id === 'e2e-kill-1');
    }
    expect(row).toMatchObject({ status: 'failed', reason: 'abandoned' });
    const cli = spawnSync(process.execPath, [CLI, 'sessions', '--json', '--traces-dir', dir], { encoding: 'utf8', timeout: 20_000 });
    const metas = JSON.parse(cli.stdout) as { id: string; status: string; reason?: string }[];
    expect(metas.find((m) => m.id === 'e2e-kill-1')).toMatchObject({ status: 'failed', reason: 'abandoned' });
    await expect(readTrace(dir, 'e2e-kill-1')).resolves.toBeDefined();
    const dead = await call(serve, 'pause_workflow', { session_id: 'e2e-kill-1' });
    expect(dead.isError).toBe(true);
    expect(text(dead)).toMatch(/failed|not live/i);
  });

  it('rejects a malformed --break-on pattern before starting anything (exit 2)', () => {
    const r = spawnSync(process.execPath, [CLI, 'proxy', '--traces-dir', dir, '--break-on', 'tools/call:', '--', process.execPath, EVERYTHING], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/invalid breakpoint "tools\/call:"/);
  });

  it('signals to unknown sessions get clear errors', async () => {
    const unknown = await call(serve, 'send_signal', { session_id: 'no-such-session', signal: 'pause' });
    expect(unknown.isError).toBe(true);
    expect(text(unknown)).toMatch(/no-such-session/);
  });
});
