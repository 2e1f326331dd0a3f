import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInspector, sizeOf, textOf, type InspectorConnection } from '../fixtures/traces/inspectorClient.js';
import { tempTracesDir, writeFixtureTrace } from '../fixtures/traces/generateTrace.js';

describe('list_sessions', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let conn: InspectorConnection;
  const ids: string[] = [];

  beforeAll(async () => {
    ({ dir, cleanup } = await tempTracesDir());
    const statuses = ['completed', 'failed', 'cancelled'] as const;
    for (let i = 0; i < 45; i++) {
      const id = `sess-${String(i).padStart(3, '0')}-abc`;
      ids.push(id);
      await writeFixtureTrace({ tracesDir: dir, sessionId: id, spans: 3, errorEvery: i % 3 === 1 ? 2 : 0, status: statuses[i % 3], engine: i % 2 ? 'proxy' : 'workflow', title: i === 7 ? 'Weather agent run' : `run ${i} ${'x'.repeat(300)}` });
    }
    conn = await connectInspector({ tracesDir: dir, watch: false });
  }, 60_000);
  afterAll(async () => {
    await conn?.close();
    await cleanup?.();
  });

  it('lists newest first with the documented row fields and a default page of 20', async () => {
    const result = await conn.call('list_sessions', {});
    expect(result.isError).toBeFalsy();
    const sc = result.structuredContent as { sessions: Array<Record<string, unknown>>; next_cursor?: string };
    expect(sc.sessions).toHaveLength(20);
    expect(sc.next_cursor).toBeTruthy();
    const row = sc.sessions[0]!;
    for (const key of ['id', 'title', 'engine', 'status', 'started_at', 'ended_at', 'duration_ms', 'span_count', 'error_count']) expect(row).toHaveProperty(key);
    const started = sc.sessions.map((s) => s.started_at as string);
    expect([...started].sort().reverse()).toEqual(started);
    expect(sizeOf(result)).toBeLessThanOrEqual(20_000);
    expect(textOf(result)).toContain(String(row.id));
  });

  it('pages through every session exactly once, within the budget even at limit 100', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 50; pages++) {
      const result = await conn.call('list_sessions', { limit: 100, ...(cursor ? { cursor } : {}) });
      expect(result.isError).toBeFalsy();
      expect(sizeOf(result)).toBeLessThanOrEqual(20_000);
      const sc = result.structuredContent as { sessions: Array<{ id: string }>; next_cursor?: string };
      seen.push(...sc.sessions.map((s) => s.id));
      cursor = sc.next_cursor;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual([...ids].sort());
  });

  it('filters by status, engine and text', async () => {
    const failed = await conn.call('list_sessions', { status: 'failed', limit: 100 });
    const rows = (failed.structuredContent as { sessions: Array<{ status: string; error_count: number }> }).sessions;
    expect(rows).toHaveLength(15);
    expect(rows.every((r) => r.status === 'failed')).toBe(true);
    const text = await conn.call('list_sessions', { query: 'weather' });
    expect((text.structuredContent as { sessions: Array<{ id: string }> }).sessions.map((s) => s.id)).toEqual(['sess-007-abc']);
    const engine = await conn.call('list_sessions', { engine: 'workflow', limit: 100 });
    expect((engine.structuredContent as { sessions: unknown[] }).sessions).toHaveLength(23);
  });

  it('answers bad input and empty matches with clear tool errors', async () => {
    const nothing = await conn.call('list_sessions', { status: 'paused' });
    expect(nothing.isError).toBe(true);
    expect(textOf(nothing)).toMatch(/No match: no session matches.*45 sessions recorded/);
    const badCursor = await conn.call('list_sessions', { cursor: 'garbage' });
    expect(badCursor.isError).toBe(true);
    expect(textOf(badCursor)).toMatch(/INVALID_CURSOR/);
    const badTime = await conn.call('list_sessions', { since: 'yesterday' });
    expect(badTime.isError).toBe(true);
    expect(textOf(badTime)).toMatch(/since/);
    const badLimit = await conn.call('list_sessions', { limit: 1000 });
    expect(badLimit.isError).toBe(true);
    const badStatus = await conn.call('list_sessions', { status: 'exploded' });
    expect(badStatus.isError).toBe(true);
  });

  it('lists nothing (without an error) when the traces directory does not exist', async () => {
    const empty = await connectInspector({ tracesDir: `${dir}/missing/deeper`, watch: false });
    try {
      const result = await empty.call('list_sessions', {});
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ sessions: [] });
    } finally {
      await empty.close();
    }
  });
});
