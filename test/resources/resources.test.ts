import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { ResourceListChangedNotificationSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus } from '../../src/sessions/eventBus.js';
import { createLiveSessionRegistry, registerLiveSession } from '../../src/sessions/liveSessionRegistry.js';
import { createLocalSessionControl } from '../../src/sessions/sessionControl.js';
import { ensureBuilt } from '../store/storeTestKit.js';
import { connectInspector, type InspectorConnection } from '../fixtures/traces/inspectorClient.js';
import { tempTracesDir, writeFixtureTrace } from '../fixtures/traces/generateTrace.js';

const SLOW_WRITER = resolve(__dirname, '../fixtures/traces/slowWriter.mjs');

async function until(probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('resources', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let conn: InspectorConnection;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    ensureBuilt();
    ({ dir, cleanup } = await tempTracesDir());
    await writeFixtureTrace({ tracesDir: dir, sessionId: 'res-session-a', spans: 30, errorEvery: 10, status: 'failed' });
    await writeFixtureTrace({ tracesDir: dir, sessionId: 'res-session-big', spans: 3000 });
    conn = await connectInspector({ tracesDir: dir, resourceByteBudget: 64 * 1024 });
  }, 120_000);
  afterAll(async () => {
    child?.kill('SIGKILL');
    await conn?.close();
    await cleanup?.();
  });

  it('lists the sessions resource, one resource per session and both templates', async () => {
    const { resources } = await conn.client.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toContain('inspector://sessions');
    expect(uris).toContain('inspector://sessions/res-session-a');
    const { resourceTemplates } = await conn.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual(['inspector://sessions/{session_id}', 'inspector://traces/{session_id}']);
    expect(resourceTemplates.find((t) => t.uriTemplate.startsWith('inspector://traces'))?.mimeType).toBe('application/x-ndjson');
  });

  it('reads the session list, one session summary and a trace as NDJSON', async () => {
    const list = await conn.client.readResource({ uri: 'inspector://sessions' });
    const body = JSON.parse((list.contents[0] as { text: string }).text);
    expect(body.total).toBe(2);
    expect(body.sessions.map((s: { id: string }) => s.id).sort()).toEqual(['res-session-a', 'res-session-big']);

    const one = await conn.client.readResource({ uri: 'inspector://sessions/res-session-a' });
    const parsed = JSON.parse((one.contents[0] as { text: string }).text);
    expect(parsed.meta.status).toBe('failed');
    expect(parsed.summary.error_count).toBe(3);

    const trace = await conn.client.readResource({ uri: 'inspector://traces/res-session-a' });
    expect(trace.contents[0]!.mimeType).toBe('application/x-ndjson');
    const lines = (trace.contents[0] as { text: string }).text.trim().split('\n');
    expect(lines).toHaveLength(30);
    for (const line of lines) expect(JSON.parse(line).span_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('cuts a big trace to the byte limit with a note on the last line', async () => {
    const trace = await conn.client.readResource({ uri: 'inspector://traces/res-session-big' });
    const text = (trace.contents[0] as { text: string }).text;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(64 * 1024);
    const lines = text.trim().split('\n');
    const note = JSON.parse(lines.at(-1)!);
    expect(note.inspector_note).toMatch(/showing the last \d+ of 3,000 spans/);
    expect(JSON.parse(lines.at(-2)!).span_id).toBe((3000).toString(16).padStart(16, '0')); // the newest span is kept
  });

  it('rejects unknown and malformed session URIs with clear errors', async () => {
    await expect(conn.client.readResource({ uri: 'inspector://sessions/res-session-b' })).rejects.toThrow(/Did you mean: res-session-big|res-session-a/);
    await expect(conn.client.readResource({ uri: 'inspector://traces/bad%20id' })).rejects.toThrow(/invalid session id/);
    await expect(conn.client.subscribeResource({ uri: 'https://example.com/' })).rejects.toThrow(/cannot subscribe/);
  });

  it('completes session ids in both templates', async () => {
    for (const uri of ['inspector://sessions/{session_id}', 'inspector://traces/{session_id}']) {
      const result = await conn.client.complete({ ref: { type: 'ref/resource', uri }, argument: { name: 'session_id', value: 'res-session-b' } });
      expect(result.completion.values).toEqual(['res-session-big']);
    }
  });

  it('notifies a subscriber while another process writes the session it watches', async () => {
    const updated: string[] = [];
    let listChanged = 0;
    conn.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updated.push(n.params.uri));
    conn.client.setNotificationHandler(ResourceListChangedNotificationSchema, () => void listChanged++);
    await conn.client.subscribeResource({ uri: 'inspector://sessions/res-live-writer' });
    await conn.client.subscribeResource({ uri: 'inspector://traces/res-live-writer' });
    child = spawn(process.execPath, [SLOW_WRITER, dir, 'res-live-writer', '15', '60'], { stdio: ['ignore', 'ignore', 'pipe'] });
    await until(() => listChanged > 0 && updated.filter((u) => u === 'inspector://traces/res-live-writer').length >= 2);
    expect(updated).toContain('inspector://sessions/res-live-writer');
    // The trace keeps changing while it is written: once its first member is on disk (the first
    // notifications may be for the file being created), reading it shows some of its spans.
    let text = '';
    for (let i = 0; i < 200 && text.length === 0; i++) {
      const trace = await conn.client.readResource({ uri: 'inspector://traces/res-live-writer' });
      text = (trace.contents[0] as { text: string }).text;
      if (text.length === 0) await new Promise((r) => setTimeout(r, 25));
    }
    expect(text.split('\n')[0]).toContain('"span_id"');
    await conn.client.unsubscribeResource({ uri: 'inspector://sessions/res-live-writer' });
    await conn.client.unsubscribeResource({ uri: 'inspector://traces/res-live-writer' });
    // The server answers in order: no notification for the writer may follow the unsubscribe answer.
    const before = updated.length;
    await new Promise<void>((r) => (child!.exitCode !== null ? r() : child!.once('exit', () => r())));
    // A session written after the writer's last write is reported after anything the writer caused.
    await conn.client.subscribeResource({ uri: 'inspector://traces/res-witness' });
    await writeFixtureTrace({ tracesDir: dir, sessionId: 'res-witness', spans: 3 });
    await until(() => updated.includes('inspector://traces/res-witness'));
    await conn.client.unsubscribeResource({ uri: 'inspector://traces/res-witness' });
    expect(updated.slice(before).filter((u) => u.includes('res-live-writer'))).toEqual([]); // nothing after unsubscribing
  });

  it('relays live events from the session control to subscribers', async () => {
    const bus = createEventBus();
    const registry = createLiveSessionRegistry({ bus });
    const control = createLocalSessionControl({ registry, tracesDir: dir });
    const live = await connectInspector({ tracesDir: join(dir, 'elsewhere'), control, watch: false });
    try {
      const updated: string[] = [];
      let listChanged = 0;
      live.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updated.push(n.params.uri));
      live.client.setNotificationHandler(ResourceListChangedNotificationSchema, () => void listChanged++);
      await live.client.subscribeResource({ uri: 'inspector://sessions' });
      await live.client.subscribeResource({ uri: 'inspector://sessions/bus-session-1' });
      await live.client.listResources(); // the known-session list is now loaded
      const session = await registerLiveSession(registry, { sessionId: 'bus-session-1', title: 'bus', engine: 'workflow' });
      await until(() => listChanged > 0 && updated.includes('inspector://sessions/bus-session-1') && updated.includes('inspector://sessions'));
      const n = updated.length;
      await session.finish('completed');
      await until(() => updated.length > n);
    } finally {
      await live.close();
      await registry.close();
      await control.close();
    }
  });
});
