import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Span } from '../../src/core/span.js';
import { formatMicros, parseMicros } from '../../src/core/time.js';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { makeSpan } from '../store/storeTestKit.js';
import { connectInspector, sizeOf, textOf, type InspectorConnection } from '../fixtures/traces/inspectorClient.js';
import { tempTracesDir, writeFixtureTrace, type FixtureTrace } from '../fixtures/traces/generateTrace.js';

describe('get_trace', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let big: FixtureTrace;
  let small: FixtureTrace;
  let conn: InspectorConnection;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempTracesDir());
    big = await writeFixtureTrace({ tracesDir: dir, sessionId: 'big-session-50k', spans: 50_000, errorEvery: 997, status: 'failed' });
    small = await writeFixtureTrace({ tracesDir: dir, sessionId: 'small-session-1', spans: 23, errorEvery: 7 });
    conn = await connectInspector({ tracesDir: dir, watch: false });
  }, 60_000);
  afterAll(async () => {
    await conn?.close();
    await cleanup?.();
  });

  it('summarizes a 50,000-span trace under the byte budget, naming its errors and slowest spans', async () => {
    const result = await conn.call('get_trace', { session_id: big.sessionId });
    expect(result.isError).toBeFalsy();
    expect(sizeOf(result)).toBeLessThanOrEqual(20_000);
    const { summary } = result.structuredContent as { summary: any };
    expect(summary.span_count).toBe(50_000);
    expect(summary.error_count).toBe(big.errorSpanIds.length);
    expect(summary.session.status).toBe('failed');
    expect(summary.slowest[0].span_id).toBe(big.slowSpanId);
    expect(summary.errors.length).toBeGreaterThan(0);
    for (const e of summary.errors) expect(big.errorSpanIds).toContain(e.span_id);
    expect(summary.errors[0].message).toMatch(/failed: invalid input/);
    expect(summary.omitted.errors).toBe(big.errorSpanIds.length - summary.errors.length);
    const text = textOf(result);
    expect(text).toContain(big.slowSpanId);
    expect(text).toContain(summary.errors[0].span_id);
    expect(text).toMatch(/status="error"/);
    expect(summary.methods.find((m: any) => m.name === 'tools/call').count).toBeGreaterThan(10_000);
  });

  it('pages through every span of the big trace exactly once', async () => {
    const wide = await connectInspector({ tracesDir: dir, watch: false, byteBudget: 1_000_000 }, undefined);
    try {
      const seen = new Set<string>();
      let cursor: string | undefined;
      let pages = 0;
      do {
        const result = await wide.call('get_trace', { session_id: big.sessionId, view: 'spans', limit: 500, ...(cursor ? { cursor } : {}) });
        expect(result.isError).toBeFalsy();
        const sc = result.structuredContent as { spans: Array<{ span_id: string }>; next_cursor?: string };
        for (const s of sc.spans) {
          expect(seen.has(s.span_id)).toBe(false);
          seen.add(s.span_id);
        }
        cursor = sc.next_cursor;
        pages++;
      } while (cursor && pages < 200);
      expect(seen.size).toBe(50_000);
    } finally {
      await wide.close();
    }
  });

  it('keeps every spans page under the default budget and lists all error spans through the cursor', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const result = await conn.call('get_trace', { session_id: big.sessionId, status: 'error', ...(cursor ? { cursor } : {}) });
      expect(result.isError).toBeFalsy();
      expect(sizeOf(result)).toBeLessThanOrEqual(20_000);
      const sc = result.structuredContent as { spans: Array<{ span_id: string; status: string }>; next_cursor?: string };
      for (const s of sc.spans) {
        expect(s.status).toBe('ERROR');
        seen.push(s.span_id);
      }
      cursor = sc.next_cursor;
      if (!cursor) break;
      expect(textOf(result)).toContain(cursor);
    }
    expect(seen).toEqual(big.errorSpanIds);
  });

  it('shows the tree with depth limits, marks and hidden counts', async () => {
    const result = await conn.call('get_trace', { session_id: small.sessionId, view: 'tree', depth: 0 });
    expect(result.isError).toBeFalsy();
    const { nodes } = result.structuredContent as { nodes: Array<{ depth: number; hidden_descendants?: number; span_id: string }> };
    expect(nodes).toHaveLength(5); // 23 spans: roots 0,5,10,15,20
    expect(nodes.every((n) => n.depth === 0)).toBe(true);
    expect(nodes[0]!.hidden_descendants).toBe(4);
    const deep = await conn.call('get_trace', { session_id: small.sessionId, view: 'tree' });
    const text = textOf(deep);
    expect(text).toContain('✗');
    expect(text).toMatch(/^ {2}[✓✗] /m);
    expect((deep.structuredContent as { nodes: unknown[] }).nodes).toHaveLength(23);
  });

  it('filters the tree to matching spans and their ancestors', async () => {
    const result = await conn.call('get_trace', { session_id: small.sessionId, view: 'tree', status: 'error' });
    const { nodes } = result.structuredContent as { nodes: Array<{ span_id: string }> };
    for (const id of small.errorSpanIds) expect(nodes.map((n) => n.span_id)).toContain(id);
    expect(nodes.length).toBeLessThan(23);
  });

  it('pages the big tree within the budget', async () => {
    const result = await conn.call('get_trace', { session_id: big.sessionId, view: 'tree' });
    expect(sizeOf(result)).toBeLessThanOrEqual(20_000);
    const sc = result.structuredContent as { nodes: unknown[]; next_cursor?: string };
    expect(sc.next_cursor).toBeTruthy();
    const next = await conn.call('get_trace', { session_id: big.sessionId, view: 'tree', cursor: sc.next_cursor });
    expect(next.isError).toBeFalsy();
  });

  it('leaves notifications out of the slowest spans, and marks benign ERROR spans apart from errors', async () => {
    const w = createTraceWriter({ tracesDir: dir, sessionId: 'notify-session', title: 'notifications', engine: 'proxy' });
    const at = (i: number, ms: number, extra: Partial<Span>): Span => {
      const base = makeSpan(i);
      return { ...base, end_time: formatMicros(parseMicros(base.start_time) + ms * 1000), ...extra };
    };
    w.write(at(1, 30_000, { name: 'notifications/progress', attributes: { 'mcp.method.name': 'notifications/progress' } }));
    w.write(at(2, 12, {}));
    w.write(at(3, 1, { name: 'server/discover', status: { status_code: 'ERROR', description: 'Method not found' }, attributes: { 'mcp.method.name': 'server/discover', 'error.type': '-32601', 'mcp.error.code': -32601 } }));
    await w.close();
    const { summary } = (await conn.call('get_trace', { session_id: 'notify-session' })).structuredContent as { summary: any };
    expect(summary.slowest.map((s: { name: string }) => s.name)).not.toContain('notifications/progress');
    expect(summary.slowest[0]).toMatchObject({ name: 'tools/call read_file', args: '{"path":"/tmp/f2.txt"}' });
    expect(summary.error_count).toBe(0);
    expect(summary.session.status).toBe('completed');
    const rows = await conn.call('get_trace', { session_id: 'notify-session', view: 'spans' });
    const probe = (rows.structuredContent as { spans: Array<Record<string, unknown>> }).spans.find((r) => r.name === 'server/discover');
    expect(probe).toMatchObject({ status: 'ERROR', outcome: 'benign' });
    expect(textOf(rows)).toMatch(/ ~ server\/discover — not an error: server\/discover not supported by the peer/);
  });

  it('answers bad input with clear tool errors', async () => {
    const unknown = await conn.call('get_trace', { session_id: 'small-session-2' });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/SESSION_NOT_FOUND/);
    expect(textOf(unknown)).toContain('small-session-1'); // close match suggested

    const malformed = await conn.call('get_trace', { session_id: '../../etc/passwd' });
    expect(malformed.isError).toBe(true);
    expect(textOf(malformed)).toMatch(/INVALID_SESSION_ID/);

    const badCursor = await conn.call('get_trace', { session_id: small.sessionId, view: 'spans', cursor: 'not-a-cursor!' });
    expect(badCursor.isError).toBe(true);
    expect(textOf(badCursor)).toMatch(/INVALID_CURSOR/);

    const page = await conn.call('get_trace', { session_id: big.sessionId, view: 'spans' });
    const cursor = (page.structuredContent as { next_cursor: string }).next_cursor;
    const otherFilter = await conn.call('get_trace', { session_id: big.sessionId, view: 'spans', status: 'error', cursor });
    expect(otherFilter.isError).toBe(true);
    expect(textOf(otherFilter)).toMatch(/different session or different filters/);

    const nothing = await conn.call('get_trace', { session_id: small.sessionId, tool: 'no_such_tool' });
    expect(nothing.isError).toBe(true);
    expect(textOf(nothing)).toMatch(/No match/);
    expect(textOf(nothing)).toContain('"echo"');

    const badView = await conn.call('get_trace', { session_id: small.sessionId, view: 'flame' });
    expect(badView.isError).toBe(true);

    const summaryCursor = await conn.call('get_trace', { session_id: small.sessionId, view: 'summary', cursor });
    expect(summaryCursor.isError).toBe(true);
  });
});
