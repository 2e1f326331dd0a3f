import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInspector, sizeOf, textOf, type InspectorConnection } from '../fixtures/traces/inspectorClient.js';
import { tempTracesDir, writeFixtureTrace, type FixtureTrace } from '../fixtures/traces/generateTrace.js';

describe('search_spans', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let conn: InspectorConnection;
  let a: FixtureTrace;
  let b: FixtureTrace;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempTracesDir());
    a = await writeFixtureTrace({ tracesDir: dir, sessionId: 'search-a-session', spans: 300, errorEvery: 50 });
    b = await writeFixtureTrace({ tracesDir: dir, sessionId: 'search-b-session', spans: 40, errorEvery: 10, startMicros: Date.UTC(2026, 1, 1) * 1000 });
    conn = await connectInspector({ tracesDir: dir, watch: false });
  });
  afterAll(async () => {
    await conn?.close();
    await cleanup?.();
  });

  it('finds text in attribute values across sessions, newest first, with a snippet', async () => {
    const result = await conn.call('search_spans', { query: 'invalid input #149' });
    expect(result.isError).toBeFalsy();
    const { results } = result.structuredContent as { results: Array<{ session_id: string; span_id: string; match: string }> };
    expect(results.map((r) => r.span_id)).toEqual([a.spanIds[149]]);
    expect(results[0]!.session_id).toBe('search-a-session');
    expect(results[0]!.match).toContain('invalid input #149');
  });

  it('combines filters and pages every hit exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 50; pages++) {
      const result = await conn.call('search_spans', { status: 'error', limit: 3, ...(cursor ? { cursor } : {}) });
      expect(result.isError).toBeFalsy();
      expect(sizeOf(result)).toBeLessThanOrEqual(20_000);
      const sc = result.structuredContent as { results: Array<{ session_id: string; span_id: string }>; next_cursor?: string };
      seen.push(...sc.results.map((r) => `${r.session_id}/${r.span_id}`));
      cursor = sc.next_cursor;
      if (!cursor) break;
    }
    const expected = [...a.errorSpanIds.map((id) => `search-a-session/${id}`), ...b.errorSpanIds.map((id) => `search-b-session/${id}`)];
    expect(seen.sort()).toEqual(expected.sort());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('restricts to one session, a tool and a time window', async () => {
    const tool = await conn.call('search_spans', { session_id: 'search-b-session', tool: 'add', limit: 100 });
    const rows = (tool.structuredContent as { results: Array<{ session_id: string; name: string }> }).results;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.session_id === 'search-b-session' && r.name === 'tools/call add')).toBe(true);
    const windowed = await conn.call('search_spans', { since: '2026-01-15T00:00:00Z', limit: 100 });
    const ids = new Set((windowed.structuredContent as { results: Array<{ session_id: string }> }).results.map((r) => r.session_id));
    expect([...ids]).toEqual(['search-b-session']);
  });

  it('sorts by duration across sessions, with min_duration_ms and argument previews', async () => {
    type Hit = { session_id: string; span_id: string; duration_ms: number; name: string; args?: string };
    const slowest = await conn.call('search_spans', { session_id: 'search-a-session', method: 'tools/call', sort: 'duration', limit: 1 });
    const [top] = (slowest.structuredContent as { results: Hit[] }).results;
    expect(top).toMatchObject({ span_id: a.slowSpanId, duration_ms: 9999 });
    expect(top!.args).toMatch(/^\{"message":"hello \d+"\}$/);
    expect(textOf(slowest)).toMatch(/slowest first/);
    expect(textOf(slowest)).toContain(`9,999 ms ✓ ${top!.name} {"message":"hello 150"}`);

    const long = await conn.call('search_spans', { min_duration_ms: 9000 });
    expect((long.structuredContent as { results: Hit[] }).results.map((h) => h.span_id).sort()).toEqual([a.slowSpanId, b.slowSpanId].sort());
    const none = await conn.call('search_spans', { min_duration_ms: 20_000 });
    expect(none.isError).toBe(true);
    expect(textOf(none)).toMatch(/lasting at least 20.0 s/);

    // Pages of the duration order cover every span once, each page continuing where the last stopped.
    const seen: Hit[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await conn.call('search_spans', { session_id: 'search-b-session', sort: 'duration', limit: 7, ...(cursor ? { cursor } : {}) });
      const sc = page.structuredContent as { results: Hit[]; next_cursor?: string };
      seen.push(...sc.results);
      cursor = sc.next_cursor;
      if (!cursor) break;
    }
    expect(cursor).toBeUndefined();
    expect(seen).toHaveLength(40);
    expect(new Set(seen.map((h) => h.span_id)).size).toBe(40);
    for (let i = 1; i < seen.length; i++) expect(seen[i - 1]!.duration_ms).toBeGreaterThanOrEqual(seen[i]!.duration_ms);
    const other = await conn.call('search_spans', { session_id: 'search-b-session', sort: 'time', limit: 7, cursor: (await conn.call('search_spans', { session_id: 'search-b-session', sort: 'duration', limit: 7 })).structuredContent!.next_cursor as string });
    expect(textOf(other)).toMatch(/INVALID_CURSOR/);
  });

  it('answers bad input and no hits with clear tool errors', async () => {
    const none = await conn.call('search_spans', { query: 'no such text anywhere' });
    expect(none.isError).toBe(true);
    expect(textOf(none)).toMatch(/No match.*no such text anywhere/);
    const badTime = await conn.call('search_spans', { since: 'last tuesday' });
    expect(badTime.isError).toBe(true);
    expect(textOf(badTime)).toMatch(/RFC 3339/);
    const badCursor = await conn.call('search_spans', { query: 'x', cursor: 'eyJ2IjoxfQ' });
    expect(badCursor.isError).toBe(true);
    expect(textOf(badCursor)).toMatch(/INVALID_CURSOR/);
    const unknown = await conn.call('search_spans', { session_id: 'search-c-session', query: 'x' });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/Did you mean/);
  });
});
