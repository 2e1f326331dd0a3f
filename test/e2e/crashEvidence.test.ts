import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../src/core/events.js';
import { createEventBus } from '../../src/sessions/eventBus.js';
import { markSessionAbandoned } from '../../src/sessions/markSessionAbandoned.js';
import { createSessionControl } from '../../src/sessions/sessionControl.js';
import { inflightFilePath } from '../../src/store/paths.js';
import { readTrace } from '../../src/store/traceReader.js';
import { connectInspector } from '../fixtures/traces/inspectorClient.js';
import { CLI, EVERYTHING, ROOT, tempDir } from './proxyHelpers.js';

/** Pids of the processes descending from `pid` (from /proc), children first found first. */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  for (let frontier = [pid]; frontier.length > 0; ) {
    const next = [...parentOf].filter(([, pp]) => frontier.includes(pp)).map(([p]) => p);
    out.push(...next);
    frontier = next;
  }
  return out;
}

function killAll(pids: number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Resolves once `check` is true, polling every 20 ms, for at most `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A real Client through the built proxy in front of server-everything. */
async function proxiedEverything(tracesDir: string, sessionId: string) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'proxy', '--traces-dir', tracesDir, '--session-id', sessionId, '--', process.execPath, EVERYTHING, 'stdio'],
    cwd: ROOT,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const client = new Client({ name: 'crash-test', version: '1' });
  await client.connect(transport);
  const proxyPid = transport.pid!;
  return {
    client,
    proxyPid,
    stderr: () => stderr,
    /** SIGKILLs the proxy (and, after, whatever it started), waiting until it is gone. */
    async kill() {
      const children = descendants(proxyPid);
      process.kill(proxyPid, 'SIGKILL');
      await until(() => {
        try {
          process.kill(proxyPid, 0);
          return readFileSync(`/proc/${proxyPid}/stat`, 'utf8').includes(') Z');
        } catch {
          return true;
        }
      }, 'the proxy to die');
      killAll(children);
      await client.close().catch(() => undefined);
    },
  };
}

describe('a proxy SIGKILLed mid-call keeps the call as evidence (built CLI, server-everything)', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await dir.cleanup();
  });

  it('2 s into a 20 s tools/call: the call is an ERROR abandoned span with its request and start, and every count agrees', async () => {
    const sessionId = 'crash-mid-call';
    const proxy = await proxiedEverything(dir.path, sessionId);
    let progress = 0;
    const sentAt = Date.now();
    const call = proxy.client
      .callTool({ name: 'trigger-long-running-operation', arguments: { duration: 20, steps: 20 } }, undefined, { onprogress: () => void progress++, timeout: 60_000 })
      .catch((err: Error) => err);
    // The server reports progress once a second: the second report is ~2 s into the call.
    await until(() => progress >= 2, 'two progress notifications');
    await until(() => existsSync(inflightFilePath(dir.path, sessionId)), 'the open-request sidecar');
    await proxy.kill();
    expect(await call).toBeInstanceOf(Error);
    expect(proxy.stderr()).not.toMatch(/trace writer|recording:/);

    // Nothing has discovered the death yet: the first reader does, and settles the evidence first.
    const conn = await connectInspector({ tracesDir: dir.path, watch: false });
    try {
      const listed = await conn.call('list_sessions', {});
      const row = (listed.structuredContent as { sessions: any[] }).sessions.find((s) => s.id === sessionId);
      expect(row).toMatchObject({ status: 'failed', reason: 'abandoned' });
      const got = await conn.call('get_trace', { session_id: sessionId });
      const summary = (got.structuredContent as { summary: any }).summary;

      const { spans, stats } = await readTrace(dir.path, sessionId);
      expect(stats.truncated).toBe(false);
      const abandoned = spans.filter((s) => s.attributes['error.type'] === 'abandoned');
      expect(abandoned).toHaveLength(1);
      const span = abandoned[0]!;
      expect(span.name).toBe('tools/call trigger-long-running-operation');
      expect(span.status.status_code).toBe('ERROR');
      expect(span.status.description).toMatch(/process died with this request in flight/);
      expect(JSON.parse(String(span.attributes['mcp.rpc.request_json']))).toMatchObject({ method: 'tools/call', params: { name: 'trigger-long-running-operation', arguments: { duration: 20, steps: 20 } } });
      const startMs = Date.parse(span.start_time);
      expect(startMs).toBeGreaterThanOrEqual(sentAt - 5);
      expect(startMs).toBeLessThan(sentAt + 1000);
      // The end is when the process was last known alive: after the progress it forwarded, before now.
      const endMs = Date.parse(span.end_time);
      expect(endMs - startMs).toBeGreaterThan(900);
      expect(endMs).toBeLessThanOrEqual(Date.now());
      expect(span.events?.filter((e) => e.name === 'notifications/progress').length).toBeGreaterThanOrEqual(1);

      const errors = spans.filter((s) => s.status.status_code === 'ERROR').length;
      expect(row.span_count).toBe(spans.length);
      expect(row.error_count).toBe(errors);
      expect(summary.span_count).toBe(spans.length);
      expect(summary.error_count).toBe(errors);
      expect(existsSync(inflightFilePath(dir.path, sessionId))).toBe(false);

      // A second discovery (serve's watcher marking it) changes nothing: settled once.
      await markSessionAbandoned(dir.path, sessionId);
      expect((await readTrace(dir.path, sessionId)).spans).toHaveLength(spans.length);
    } finally {
      await conn.close();
    }
  }, 60_000);

  it('marked by the live-session watcher first (markSessionAbandoned): counts in the meta equal the trace', async () => {
    const sessionId = 'crash-marked-first';
    const proxy = await proxiedEverything(dir.path, sessionId);
    await proxy.client.callTool({ name: 'echo', arguments: { message: 'before' } });
    let progress = 0;
    const call = proxy.client
      .callTool({ name: 'trigger-long-running-operation', arguments: { duration: 20, steps: 20 } }, undefined, { onprogress: () => void progress++, timeout: 60_000 })
      .catch((err: Error) => err);
    await until(() => progress >= 1 && existsSync(inflightFilePath(dir.path, sessionId)), 'the call to be under way');
    await proxy.kill();
    await call;

    expect(await markSessionAbandoned(dir.path, sessionId)).toBe(true);
    const meta = JSON.parse(readFileSync(`${dir.path}/${sessionId}.meta.json`, 'utf8'));
    const { spans } = await readTrace(dir.path, sessionId);
    expect(meta).toMatchObject({ status: 'failed', reason: 'abandoned', span_count: spans.length, error_count: spans.filter((s) => s.status.status_code === 'ERROR').length });
    expect(meta.pid).toBeUndefined();
    expect(spans.filter((s) => s.attributes['error.type'] === 'abandoned').map((s) => s.name)).toEqual(['tools/call trigger-long-running-operation']);
    expect(spans.some((s) => s.name === 'tools/call echo' && s.status.status_code === 'OK')).toBe(true);

    const conn = await connectInspector({ tracesDir: dir.path, watch: false });
    try {
      const row = ((await conn.call('list_sessions', {})).structuredContent as { sessions: any[] }).sessions.find((s) => s.id === sessionId);
      const summary = ((await conn.call('get_trace', { session_id: sessionId })).structuredContent as { summary: any }).summary;
      expect([row.span_count, row.error_count]).toEqual([spans.length, meta.error_count]);
      expect([summary.span_count, summary.error_count]).toEqual([spans.length, meta.error_count]);
    } finally {
      await conn.close();
    }
  }, 60_000);

  it('watched live by a serve-like inspector: the death is discovered, and every view agrees with the trace', async () => {
    const sessionId = 'crash-watched-live';
    const bus = createEventBus();
    const events: SessionEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const control = await createSessionControl({ tracesDir: dir.path, bus, rescanMs: 100 });
    const conn = await connectInspector({ tracesDir: dir.path, watch: false, control });
    try {
      const proxy = await proxiedEverything(dir.path, sessionId);
      await proxy.client.callTool({ name: 'echo', arguments: { message: 'one' } });
      let progress = 0;
      const call = proxy.client
        .callTool({ name: 'trigger-long-running-operation', arguments: { duration: 20, steps: 20 } }, undefined, { onprogress: () => void progress++, timeout: 60_000 })
        .catch((err: Error) => err);
      await until(() => progress >= 1 && existsSync(inflightFilePath(dir.path, sessionId)), 'the call to be under way');
      await until(() => control.getLive(sessionId) !== undefined, 'serve to see the live session');
      await proxy.kill();
      await call;
      await until(() => events.some((e) => e.type === 'SessionFinished' && e.session_id === sessionId), 'serve to notice the death');

      const row = ((await conn.call('list_sessions', {})).structuredContent as { sessions: any[] }).sessions.find((s) => s.id === sessionId);
      const summary = ((await conn.call('get_trace', { session_id: sessionId })).structuredContent as { summary: any }).summary;
      const { spans } = await readTrace(dir.path, sessionId);
      const errors = spans.filter((s) => s.status.status_code === 'ERROR').length;
      expect(row).toMatchObject({ status: 'failed', reason: 'abandoned', span_count: spans.length, error_count: errors });
      expect([summary.span_count, summary.error_count]).toEqual([spans.length, errors]);
      expect(spans.filter((s) => s.attributes['error.type'] === 'abandoned').map((s) => s.name)).toEqual(['tools/call trigger-long-running-operation']);
    } finally {
      await conn.close();
      await control.close();
    }
  }, 60_000);

  it('a call in flight for less than a flush interval may be missing, but the counts still agree', async () => {
    const sessionId = 'crash-just-sent';
    const proxy = await proxiedEverything(dir.path, sessionId);
    const call = proxy.client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 20, steps: 20 } }).catch((err: Error) => err);
    await proxy.kill();
    await call;

    const conn = await connectInspector({ tracesDir: dir.path, watch: false });
    try {
      const row = ((await conn.call('list_sessions', {})).structuredContent as { sessions: any[] }).sessions.find((s) => s.id === sessionId);
      const summary = ((await conn.call('get_trace', { session_id: sessionId })).structuredContent as { summary: any }).summary;
      const { spans } = await readTrace(dir.path, sessionId);
      expect(row).toMatchObject({ status: 'failed', reason: 'abandoned', span_count: spans.length });
      expect(summary.span_count).toBe(spans.length);
      expect(summary.error_count).toBe(row.error_count);
      for (const s of spans.filter((x) => x.name.startsWith('tools/call'))) expect(s.attributes['error.type']).toBe('abandoned');
    } finally {
      await conn.close();
    }
  }, 60_000);
});
