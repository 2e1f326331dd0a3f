import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTraceWriter } from '../../src/store/traceWriter.js';
import { createTraceCache } from '../../src/catalog/traceCache.js';
import { connectInspector, textOf } from '../fixtures/traces/inspectorClient.js';
import { fixtureSpan, tempTracesDir, writeFixtureTrace } from '../fixtures/traces/generateTrace.js';

describe('traceCache', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempTracesDir());
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('reuses a parsed trace until its file changes, then reads it again', async () => {
    const writer = createTraceWriter({ tracesDir: dir, sessionId: 'growing-session', title: 'growing', engine: 'workflow' });
    writer.write(fixtureSpan('growing-session', 0, {}));
    await writer.flush();
    const cache = createTraceCache({ tracesDir: dir });
    const first = await cache.get('growing-session');
    expect(first.spans).toHaveLength(1);
    expect(await cache.get('growing-session')).toBe(first);
    writer.write(fixtureSpan('growing-session', 1, {}));
    await writer.flush();
    const second = await cache.get('growing-session');
    expect(second).not.toBe(first);
    expect(second.spans).toHaveLength(2);
    await writer.close();
  });

  it('keeps at most maxEntries traces, evicting the least recently used', async () => {
    for (const id of ['lru-session-1', 'lru-session-2', 'lru-session-3']) await writeFixtureTrace({ tracesDir: dir, sessionId: id, spans: 3 });
    const cache = createTraceCache({ tracesDir: dir, maxEntries: 2 });
    const one = await cache.get('lru-session-1');
    await cache.get('lru-session-2');
    expect(await cache.get('lru-session-1')).toBe(one); // now most recent
    await cache.get('lru-session-3'); // evicts lru-session-2
    expect(await cache.get('lru-session-1')).toBe(one);
    const memo = (await cache.get('lru-session-1')).memo('x', () => 42);
    expect(memo).toBe(42);
  });

  it('gives an empty trace for a session without a trace file, and rejects malformed ids', async () => {
    const cache = createTraceCache({ tracesDir: dir });
    expect((await cache.get('no-trace-yet')).spans).toEqual([]);
    await expect(cache.get('../escape')).rejects.toThrow(/invalid session id/);
  });

  it('serves a trace with a torn tail and garbage lines, and says so in the summary', async () => {
    await writeFixtureTrace({ tracesDir: dir, sessionId: 'torn-session', spans: 20, errorEvery: 5 });
    await appendFile(join(dir, 'torn-session.jsonl.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02])); // a cut gzip member
    const conn = await connectInspector({ tracesDir: dir, watch: false });
    try {
      const result = await conn.call('get_trace', { session_id: 'torn-session' });
      expect(result.isError).toBeFalsy();
      const { summary } = result.structuredContent as { summary: { span_count: number; truncated: boolean } };
      expect(summary.span_count).toBe(20);
      expect(summary.truncated).toBe(true);
      expect(textOf(result)).toMatch(/cut short/);
    } finally {
      await conn.close();
    }
  });

  it('shows spans whose parent links form a cycle in the tree', async () => {
    const writer = createTraceWriter({ tracesDir: dir, sessionId: 'cycle-session', title: 'cycle', engine: 'client' });
    const a = fixtureSpan('cycle-session', 1, {});
    const b = fixtureSpan('cycle-session', 2, {});
    a.parent_span_id = b.span_id;
    b.parent_span_id = a.span_id;
    const self = fixtureSpan('cycle-session', 3, {});
    self.parent_span_id = self.span_id;
    writer.write(a);
    writer.write(b);
    writer.write(self);
    await writer.close();
    await writeFile(join(dir, 'unrelated.txt'), 'not a trace');
    const conn = await connectInspector({ tracesDir: dir, watch: false });
    try {
      const result = await conn.call('get_trace', { session_id: 'cycle-session', view: 'tree' });
      expect(result.isError).toBeFalsy();
      const ids = (result.structuredContent as { nodes: Array<{ span_id: string }> }).nodes.map((n) => n.span_id).sort();
      expect(ids).toEqual([a.span_id, b.span_id, self.span_id].sort());
    } finally {
      await conn.close();
    }
  });
});
